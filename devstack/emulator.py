"""The embedded AWS emulator (moto's server), made fast enough to show Hark's own timings.

moto's SQS `SendMessage` builds every attribute of the queue to read one flag (content-based deduplication), and
three of those attributes count the queue's messages, reading the clock twice per message, each read building
`datetime` objects. Sending 400 messages into an empty queue took 3.3 s here, the next 400 took 7 s, where SQS
takes milliseconds at any depth. The local stack gives moto's SQS models two shortcuts that change no result:
- the clock they read, epoch milliseconds, comes from `time.time()` (what moto computes the long way);
- while a message is being sent, a queue's attributes are just that flag, the only one the send path reads.

moto's server also finds the backend for each request the long way, under one lock every request takes: for a host
it lists moto's package directory (about 200 `isdir` calls) and then tries every backend's URL patterns in turn,
8 % of the stack's CPU in a profile of `python -m bench e2e`. The answer depends on the host alone and the index
never changes while the server runs, so the local stack remembers it per host.
"""

from __future__ import annotations

import threading
import time
from typing import Any

_PATCHED = "_hark_fast"
_sending = threading.local()


def speed_up() -> None:
    """Apply both shortcuts to moto's SQS models. Idempotent; safe to call before or after the server starts."""
    import moto.sqs.models as sqs_models  # noqa: PLC0415

    clock = sqs_models.unix_time_millis  # type: ignore[attr-defined]
    if getattr(clock, _PATCHED, False):
        return

    def unix_time_millis(dt: Any = None) -> float:
        # moto's version: (dt or utcnow()) - 1970-01-01, in milliseconds. For "now", that is time.time().
        return time.time() * 1000.0 if dt is None else float(clock(dt))

    full = sqs_models.Queue.attributes

    def attributes(queue: Any) -> dict[str, Any]:
        if getattr(_sending, "active", False):  # SendMessage reads ContentBasedDeduplication, nothing else
            if not queue.fifo_queue:
                return {}
            flag = queue.content_based_deduplication
            return {"ContentBasedDeduplication": str(flag).lower() if isinstance(flag, bool) else flag}
        return dict(full.fget(queue))  # type: ignore[attr-defined]

    send = sqs_models.SQSBackend.send_message

    def send_message(backend: Any, *args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return send(backend, *args, **kwargs)
        finally:
            _sending.active = False

    _remember_backends()
    setattr(unix_time_millis, _PATCHED, True)
    sqs_models.unix_time_millis = unix_time_millis  # type: ignore[attr-defined]
    sqs_models.Queue.attributes = property(attributes)  # type: ignore[method-assign,assignment]
    sqs_models.SQSBackend.send_message = send_message  # type: ignore[method-assign,assignment]


def _remember_backends() -> None:
    """Memoise moto's server's host → backend lookup (a pure function of the host and moto's static index)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication  # noqa: PLC0415

    find = DomainDispatcherApplication.get_backend_for_host
    if getattr(find, _PATCHED, False):
        return
    known: dict[str, Any] = {}

    def get_backend_for_host(app: Any, host: str | None) -> Any:
        if host is None:
            return None
        if host not in known:  # called under the dispatcher's own lock
            known[host] = find(app, host)
        return known[host]

    setattr(get_backend_for_host, _PATCHED, True)
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign,assignment]
