"""`hark classify`: JSONL in (`{"id", "text", "lang"?, "platform"?}`), one JSONL line out per input with the
classification fields. The same analyzer and triage the classify Lambda runs, for batch use and evaluation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import IO

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.classify.bootstrap import make_classifier
from shared.events import Author, Mention, PlatformId
from shared.ids import mention_id
from shared.settings import Settings

CHUNK = 25  # one Comprehend Batch call's worth


class Line(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str | int
    text: str
    lang: str | None = Field(default=None, min_length=2, max_length=16)
    platform: PlatformId = "generic"
    # Unknown by default: an arbitrary text may or may not be addressed to the brand.
    addressed: bool | None = None


def _chunks(stream: IO[str], errors: IO[str]) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            chunk.append(Line.model_validate(orjson.loads(raw)))
        except orjson.JSONDecodeError as exc:
            # orjson counts lines within the one it was given: the column is what locates the fault here.
            errors.write(f"line {number}: skipped, not JSON: {exc.msg} at column {exc.colno}\n")
            continue
        except ValidationError as exc:
            # Name each field and what is wrong with it ("id: Field required"), not pydantic's headline alone.
            fields = ((".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors())
            problems = "; ".join(": ".join(filter(None, field)) for field in fields)
            errors.write(f"line {number}: skipped, not a classify request: {problems}\n")
            continue
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _mention(line: Line, now: datetime) -> Mention:
    return Mention(
        id=mention_id(line.platform, str(line.id)),
        platform=line.platform,
        channel="cli",
        kind="comment",
        native_id=str(line.id),
        thread_id=str(line.id),
        author=Author(id="unknown"),
        addressed=line.addressed,
        text=line.text,
        lang=line.lang,
        created_at=now,
        received_at=now,
    )


def run(stdin: IO[str], stdout: IO[str], stderr: IO[str], *, analyzer: str | None, env: Mapping[str, str]) -> int:
    settings = Settings.from_env(env)
    if analyzer is not None:
        settings = settings.model_copy(update={"analyzer": analyzer})
    classifier = make_classifier(settings)
    failures = 0
    for chunk in _chunks(stdin, stderr):
        now = datetime.now(UTC)
        results = classifier.classify([_mention(line, now) for line in chunk], now)
        for line, result in zip(chunk, results, strict=True):
            if isinstance(result, Exception):
                failures += 1
                stderr.write(f"{line.id}: classification failed: {result}\n")
                continue
            row = {"id": line.id, **result.model_dump(mode="json", exclude={"classified_at"})}
            stdout.write(orjson.dumps(row).decode() + "\n")
        stdout.flush()
    return 1 if failures else 0
