"""The configuration reference, generated from the models in `shared.config` (`hark config reference`; a test
keeps docs/config-reference.md equal to it)."""

from __future__ import annotations

import types
from datetime import timedelta
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from shared.config import HarkConfig, Section, format_duration

INTRO = """# Configuration reference

Generated from `shared/config.py` by `hark config reference`; do not edit by hand. How the workflow uses each
section: [workflow.md](workflow.md). Check a file with `hark config check FILE`; point `HARK_CONFIG` at it (a path,
or `ssm:<parameter name>` in AWS). Durations are written `90m`, `4h`, `2d`, `1h30m` (or ISO 8601). The bundled
default is `shared/config_default.yaml`.
"""


def _type(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = get_args(annotation)
    if annotation is timedelta:
        return "duration"
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return " \\| ".join(_type(a) for a in inner) + (" or null" if len(inner) < len(args) else "")
    if origin is tuple or origin is list:
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        return f"map of {_type(args[0])} → {_type(args[1])}"
    if getattr(annotation, "__metadata__", None) is not None:
        return _type(get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        value = field.default_factory()
    if isinstance(value, timedelta):
        return f"`{format_duration(value)}`"
    if isinstance(value, BaseModel):
        return "see below"
    if value in ((), {}, None):
        return "—" if value is None else "empty"
    return f"`{value}`"


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in found:
            return
        found.append(model)
        for field in model.model_fields.values():
            for nested in _nested(field.annotation):
                visit(nested)

    visit(root)
    return found


def _nested(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return [annotation]
    out = []
    for arg in get_args(annotation):
        out += _nested(arg)
    return out


def render() -> str:
    parts = [INTRO]
    for model in _models(HarkConfig):
        doc = (model.__doc__ or "").strip()
        title = "The document" if model is HarkConfig else model.__name__
        parts.append(f"\n## {title}\n")
        if model is not HarkConfig and doc:
            parts.append(doc.splitlines()[0] + "\n")
        parts.append("\n| field | type | default | meaning |\n|---|---|---|---|\n")
        for name, field in model.model_fields.items():
            meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
            parts.append(f"| `{name}` | {_type(field.annotation)} | {_default(field)} | {meaning} |\n")
    return "".join(parts)
