"""`hark config check FILE`, `hark config reference`, `hark keys id KEY` and `hark sla sweep [--at TIME]`.

The sweep calls the same service method the scheduled function does, against the configured AWS endpoint: by
default the local stack's emulator (`http://127.0.0.1:$HARK_AWS_PORT`), with the same `HARK_CONFIG` as the stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from shared.errors import HarkError


def check_config(path: str, out: TextIO, err: TextIO) -> int:
    from shared.config import InvalidConfig, load_file  # noqa: PLC0415

    try:
        loaded = load_file(Path(path))
    except InvalidConfig as error:
        problems = error.extra.get("errors") or []
        err.write(f"{path}: refused, {len(problems) or 1} error(s)\n")
        for problem in problems:
            where = problem["loc"] if isinstance(problem["loc"], str) else ".".join(map(str, problem["loc"]))
            err.write(f"  {where or '(document)'}: {problem['msg']}\n")
        if not problems:
            err.write(f"  {error.detail}\n")
        return 1
    config = loaded.config
    out.write(
        f"{path}: valid ({loaded.digest}): {len(config.users)} users, {len(config.teams)} teams, "
        f"{len(config.queues)} queues, {len(config.routing)} routing rules, {len(config.sla)} SLA policies, "
        f"{len(config.templates)} templates\n"
    )
    return 0


def reference(out: TextIO, check: str | None = None) -> int:
    from shared.config import reference_markdown  # noqa: PLC0415

    text = reference_markdown()
    if check is not None:
        current = Path(check).read_text(encoding="utf-8") if Path(check).exists() else ""
        if current != text:
            out.write(f"{check} is out of date: run `hark config reference > {check}`\n")
            return 1
        return 0
    out.write(text)
    return 0


def key_id_of(key: str, out: TextIO) -> int:
    from shared.auth import key_id  # noqa: PLC0415

    out.write(key_id(key) + "\n")
    return 0


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sweep(env: Mapping[str, str], at: str | None, out: TextIO, err: TextIO) -> int:
    from services.respond.bootstrap import build  # noqa: PLC0415

    settings_env = dict(env)
    if not settings_env.get("AWS_ENDPOINT_URL") and settings_env.get("HARK_STAGE", "local") == "local":
        settings_env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{settings_env.get('HARK_AWS_PORT') or 5000}"
        settings_env.setdefault("AWS_ACCESS_KEY_ID", "hark-local")
        settings_env.setdefault("AWS_SECRET_ACCESS_KEY", "hark-local")
        settings_env.setdefault("AWS_REGION", "us-east-1")
    settings_env.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    try:
        moment = parse_time(at) if at else None
    except ValueError:
        err.write(f"--at {at!r} is not an ISO 8601 time\n")
        return 2
    try:
        result = build(settings_env).service.sweep(moment)
    except HarkError as error:
        err.write(f"the sweep failed: {error.detail}\n")
        return 1
    out.write(
        f"swept at {result.at.isoformat()}: {result.checked} tasks checked, {result.breached} breached, "
        f"{result.near_breach} near breach, {result.escalated} escalated, {result.woken} woken, "
        f"{result.closed} closed\n"
    )
    for task_id in result.breached_tasks:
        out.write(f"  breached: {task_id}\n")
    return 0
