"""Lambda packages without Docker: dependency layers, and one code folder per service.

The layers hold the locked runtime dependencies (`uv export`: `[project] dependencies` only, no extra, no group),
installed as prebuilt manylinux wheels for the functions' architecture and Python (`uv pip install
--python-platform ... --only-binary :all:`, the same as `pip install --platform manylinux2014_aarch64
--only-binary=:all: --target ...`). `base` is what every function needs; `nlp` the local analyzer's libraries
(lingua's language models alone are 96 MB), which only classify imports. Each is cached under
`build/lambda/layer-<name>-<hash>`, the hash covering its requirements, the platform and the Python version, so it
is built again only when the lock changes. A service's code folder holds `shared/` and that service only (services
never import each other); tests, caches and the training code stay out.

`python -m infra.package` builds both and prints each size against Lambda's limits: 50 MB zipped for a direct
upload, 250 MB unzipped for a function with its layers.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from shared.resources import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "lambda"
PYTHON_VERSION = "3.11"
# arm64 (Graviton) is 20% cheaper per GB-second and every locked runtime dependency ships an aarch64 wheel.
ARCHITECTURE = "arm64"
PLATFORMS = {"arm64": "aarch64-manylinux2014", "x86_64": "x86_64-manylinux2014"}
ZIPPED_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024
# What Lambda's Python runtime never needs: byte-code is rebuilt on the first import, tests and type stubs unused.
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyi", "tests", "test")
SERVICES = sorted({f.service for f in FUNCTIONS})
# Chalice declares its deployment packager's needs as dependencies; nothing imports them when a function runs.
NOT_AT_RUNTIME = frozenset({"pip", "setuptools", "wheel"})
LAYERS: dict[str, frozenset[str]] = {"nlp": frozenset({"lingua-language-detector", "vadersentiment", "phonenumbers"})}
SERVICE_LAYERS: dict[str, tuple[str, ...]] = {"classify": ("base", "nlp")}


@dataclass(frozen=True)
class Packages:
    """Where the built folders are (what the CDK app points its assets at)."""

    root: Path
    layers: dict[str, Path]
    architecture: str = ARCHITECTURE

    def code(self, service: str) -> Path:
        return self.root / "code" / service

    def layers_of(self, service: str) -> tuple[str, ...]:
        return SERVICE_LAYERS.get(service, ("base",))

    @classmethod
    def load(cls, root: Path = BUILD) -> Packages:
        manifest = root / "manifest.json"
        if not manifest.exists():
            raise FileNotFoundError(f"no Lambda packages in {root}: run `make package` first")
        data = json.loads(manifest.read_text())
        return cls(root, {name: root / folder for name, folder in data["layers"].items()}, data["architecture"])


def requirements(uv: str) -> list[str]:
    """The locked runtime dependencies, pinned (`name==version ; markers`), for the Lambda environment."""
    out = subprocess.run(  # nosec B603 # noqa: S603 - a fixed command line
        [
            uv,
            "export",
            "--frozen",
            "--no-default-groups",
            "--no-emit-project",
            "--no-hashes",
            "--no-header",
            "--no-annotate",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.strip() for line in out.splitlines() if line.strip() and not line.strip().startswith("#")]


def distribution(requirement: str) -> str:
    return requirement.split("==", 1)[0].split(";", 1)[0].strip().lower().replace("_", "-")


def split_layers(reqs: list[str]) -> dict[str, list[str]]:
    """Each layer's requirements: the named layers' own, and `base` the rest (less what never runs)."""
    layers: dict[str, list[str]] = {"base": [], **{name: [] for name in LAYERS}}
    for requirement in reqs:
        name = distribution(requirement)
        if name in NOT_AT_RUNTIME:
            continue
        owner = next((layer for layer, names in LAYERS.items() if name in names), "base")
        layers[owner].append(requirement)
    return layers


def layer_key(reqs: str, architecture: str) -> str:
    digest = hashlib.sha256(f"{reqs}\n{PLATFORMS[architecture]}\n{PYTHON_VERSION}".encode()).hexdigest()
    return digest[:16]


def build_layer(uv: str, root: Path, name: str, lines: list[str], architecture: str) -> Path:
    reqs = "".join(line + "\n" for line in lines)
    target = root / f"layer-{name}-{layer_key(reqs, architecture)}"
    if (target / ".complete").exists():
        return target
    partial = target.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "python").mkdir(parents=True)
    (partial / "requirements.txt").write_text(reqs)
    subprocess.run(  # nosec B603 # noqa: S603 - a fixed command line
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--no-deps",  # the export is the whole locked tree already
            "--only-binary",
            ":all:",
            "--python-platform",
            PLATFORMS[architecture],
            "--python-version",
            PYTHON_VERSION,
            "--target",
            str(partial / "python"),
            "-r",
            str(partial / "requirements.txt"),
        ],
        cwd=ROOT,
        check=True,
    )
    # Installed scripts and caches are not needed in a layer.
    shutil.rmtree(partial / "python" / "bin", ignore_errors=True)
    for cache in (partial / "python").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    (partial / ".complete").write_text(reqs)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    for old in root.glob(f"layer-{name}-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    return target


def build_code(root: Path, service: str) -> Path:
    target = root / "code" / service
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copytree(ROOT / "shared", target / "shared", ignore=SKIP)
    (target / "services").mkdir()
    shutil.copy2(ROOT / "services" / "__init__.py", target / "services" / "__init__.py")
    shutil.copytree(ROOT / "services" / service, target / "services" / service, ignore=SKIP)
    return target


def build(uv: str, root: Path = BUILD, architecture: str = ARCHITECTURE) -> Packages:
    root.mkdir(parents=True, exist_ok=True)
    layers = {
        name: build_layer(uv, root, name, lines, architecture) for name, lines in split_layers(requirements(uv)).items()
    }
    for service in SERVICES:
        build_code(root, service)
    (root / "manifest.json").write_text(
        json.dumps(
            {"layers": {n: p.name for n, p in layers.items()}, "architecture": architecture, "services": SERVICES},
            indent=2,
        )
    )
    return Packages(root, layers, architecture)


def unzipped_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def zipped_size(folder: Path) -> int:
    """The size of the zip CDK uploads for this folder (deflate, as CDK writes it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return buffer.tell()


@dataclass(frozen=True)
class Size:
    name: str
    zipped: int
    unzipped: int


def sizes(packages: Packages) -> tuple[dict[str, Size], dict[str, tuple[Size, int]]]:
    """Each layer's size; each service's code size and its unzipped total with its layers."""
    layers = {}
    for name, folder in packages.layers.items():
        layers[name] = Size(f"layer {name}", zipped_size(folder / "python"), unzipped_size(folder / "python"))
    services = {}
    for service in SERVICES:
        code = packages.code(service)
        row = Size(service, zipped_size(code), unzipped_size(code))
        services[service] = (row, row.unzipped + sum(layers[n].unzipped for n in packages.layers_of(service)))
    return layers, services


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__.split("\n\n")[0])
    parser.add_argument("--uv", default=str(ROOT / ".tools" / "bin" / "uv"))
    parser.add_argument("--architecture", choices=sorted(PLATFORMS), default=ARCHITECTURE)
    parser.add_argument("--sizes", action="store_true", help="also zip each folder in memory and print sizes")
    args = parser.parse_args(argv)
    packages = build(args.uv, BUILD, args.architecture)
    for name, folder in packages.layers.items():
        print(f"layer {name}: {folder.relative_to(ROOT)} ({packages.architecture}, Python {PYTHON_VERSION})")
    if not args.sizes:
        return 0
    mb = 1024 * 1024
    layers, services = sizes(packages)
    for row in layers.values():
        print(f"{row.name:12} zipped {row.zipped / mb:6.1f} MB  unzipped {row.unzipped / mb:6.1f} MB")
    over = False
    for service, (row, total) in services.items():
        zipped = row.zipped + sum(layers[n].zipped for n in packages.layers_of(service))
        print(
            f"{service:12} code zipped {row.zipped / mb:5.1f} MB, unzipped {row.unzipped / mb:5.1f} MB; with "
            f"{'+'.join(packages.layers_of(service))}: zipped {zipped / mb:6.1f} MB (direct-upload limit 50), "
            f"unzipped {total / mb:6.1f} MB (limit 250)"
        )
        over = over or total > UNZIPPED_LIMIT
        if zipped > ZIPPED_LIMIT:
            # CDK uploads assets to S3, where the 50 MB direct-upload limit does not apply; 250 MB unzipped does.
            print(f"{'':12} over 50 MB zipped: deployable through S3 only, as CDK does")
    if over:
        print("over Lambda's 250 MB unzipped limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
