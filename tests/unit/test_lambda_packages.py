"""The Lambda packages `make package` builds: a service's code folder holds `shared/` and that service only (services
never import each other), no caches or tests; the layers split the locked runtime dependencies so only classify
carries the NLP libraries, and what never runs (pip, setuptools, wheel) stays out."""

from __future__ import annotations

from pathlib import Path

from infra.package import SERVICE_LAYERS, SERVICES, build_code, split_layers
from shared.resources import FUNCTIONS


def test_a_service_folder_holds_shared_and_that_service_only(tmp_path: Path) -> None:
    folder = build_code(tmp_path, "ingest")
    assert sorted(p.name for p in (folder / "services").iterdir()) == ["__init__.py", "ingest"]
    assert (folder / "shared" / "resources.py").exists()
    assert (folder / "services" / "ingest" / "app.py").exists()
    assert not list(folder.rglob("__pycache__")) and not list(folder.rglob("*.pyc"))
    # Every function's handler module is in its service's folder.
    for spec in (f for f in FUNCTIONS if f.service == "ingest"):
        module = spec.handler.rsplit(".", 1)[0]
        assert (folder / (module.replace(".", "/") + ".py")).exists(), spec.handler


def test_layers_split_the_locked_dependencies() -> None:
    layers = split_layers(
        ["boto3==1.44.8", "lingua-language-detector==2.1.1", "pip==25.0", "vadersentiment==3.3.2", "Setuptools==80"]
    )
    assert layers["base"] == ["boto3==1.44.8"]
    assert layers["nlp"] == ["lingua-language-detector==2.1.1", "vadersentiment==3.3.2"]
    assert set(SERVICES) == {f.service for f in FUNCTIONS}
    assert SERVICE_LAYERS == {"classify": ("base", "nlp")}
