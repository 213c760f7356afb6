"""The embedded AWS emulator (moto's server), made fast enough to show Hark's own timings.

moto's SQS reads the clock twice per queued message each time it counts a queue's messages, and `SendMessage`
counts them three times (it builds every queue attribute to read one flag). Each clock read builds `datetime`
objects, so sending 400 messages into an empty queue took 3.3 s here and a second 400 took 7 s, where SQS takes
milliseconds at any depth. The clock moto reads is the same epoch-milliseconds `time.time()` gives, so the local
stack hands moto's SQS models that cheaper clock; nothing else about the emulator changes.
"""

from __future__ import annotations

import time
from typing import Any

_PATCHED = "_hark_fast_clock"


def speed_up() -> None:
    """Give moto's SQS models a cheap clock. Idempotent; safe to call before or after the server starts."""
    import moto.sqs.models as sqs_models  # noqa: PLC0415

    original = sqs_models.unix_time_millis  # type: ignore[attr-defined]
    if getattr(original, _PATCHED, False):
        return

    def unix_time_millis(dt: Any = None) -> float:
        # moto's version: (dt or utcnow()) - 1970-01-01, in milliseconds. For "now", that is time.time().
        return time.time() * 1000.0 if dt is None else float(original(dt))

    setattr(unix_time_millis, _PATCHED, True)
    sqs_models.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]
