"""The embedded AWS emulator (moto's server), made fast enough to show Hark's own timings.

moto's SQS `SendMessage` builds every attribute of the queue to read one flag (content-based deduplication), and
three of those attributes count the queue's messages, reading the clock twice per message, each read building
`datetime` objects. Sending 400 messages into an empty queue took 3.3 s here, the next 400 took 7 s, where SQS
takes milliseconds at any depth. The local stack gives moto's SQS models two shortcuts that change no result:
- the clock they read, epoch milliseconds, comes from `time.time()` (what moto computes the long way);
- while a message is being sent, a queue's attributes are just that flag, the only one the send path reads.

And one for DynamoDB, which made the stack slower and larger with every message stored: moto's
`TransactWriteItems` deep-copies every table it touches, whole, before each transaction, to roll back if one of
its operations fails. Under the lock that makes each DynamoDB request atomic (`devstack.consistency`), every
request waited for that copy: the cost grew with the table, and a 10,000-delivery soak grew the stack to 23 GB
before it was stopped at about 7,000. Here a transaction backs up only the items it names, and on failure puts
those back as they were (an absent item deleted again) — what DynamoDB's all-or-nothing promises, at the cost of
the transaction's size.

moto's server also finds the backend for each request the long way, under one lock every request takes: for a host
it lists moto's package directory (about 200 `isdir` calls) and then tries every backend's URL patterns in turn,
8 % of the stack's CPU in a profile of `python -m bench e2e`. The answer depends on the host alone and the index
never changes while the server runs, so the local stack remembers it per host.
"""

from __future__ import annotations

import copy
import threading
import time
from types import SimpleNamespace
from typing import Any

_PATCHED = "_hark_fast"
_sending = threading.local()
_transacting = threading.local()


def speed_up() -> None:
    """Apply the shortcuts to moto's SQS and DynamoDB models. Idempotent; safe before or after the server starts."""
    _item_backups_for_transactions()
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


def _transaction_keys(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """The (table, key) of every operation in a transaction, as moto reads them."""
    keys = []
    for item in transact_items:
        for op_type, op in item.items():
            name = op.get("TableName")
            if not name or name not in backend.tables:
                continue
            if op_type == "Put":
                table = backend.tables[name]
                attrs = op.get("Item", {})
                if table.hash_key_attr not in attrs or (
                    table.range_key_attr is not None and table.range_key_attr not in attrs
                ):
                    continue  # moto refuses it before it writes anything
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            elif "Key" in op:
                key = op["Key"]
            else:
                continue
            keys.append((name, key))
    return keys


def _current(backend: Any, name: str, key: dict[str, Any]) -> tuple[bool, Any]:
    """(True, the item or None), or (False, None) for a key moto cannot read: it refuses that in the transaction
    itself, before any write, so there is nothing to put back."""
    try:
        return True, backend.get_item(name, key)
    except Exception:  # a bad key, refused by the transaction itself
        return False, None


def _item_backups_for_transactions() -> None:
    import moto.dynamodb.models as dynamodb_models  # noqa: PLC0415
    from moto.dynamodb.models.table import Table  # noqa: PLC0415

    transact = dynamodb_models.DynamoDBBackend.transact_write_items
    if getattr(transact, _PATCHED, False):
        return

    def deepcopy(value: Any, memo: Any = None) -> Any:
        # moto's whole-table backup, taken inside a transaction: the table itself stands in for its copy (nothing
        # reads the backup but the rollback, which then puts back the very same table; the items come back below).
        if isinstance(value, Table) and getattr(_transacting, "active", False):
            return value
        return copy.deepcopy(value, memo)

    def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> Any:
        before = []
        for name, key in _transaction_keys(backend, transact_items):
            readable, found = _current(backend, name, key)
            if readable:
                before.append((name, key, None if found is None else copy.deepcopy(found.to_json()["Attributes"])))
        _transacting.active = True
        try:
            return transact(backend, transact_items)
        except Exception:
            for name, key, attributes in reversed(before):
                if attributes is None:
                    backend.delete_item(name, key)
                else:
                    backend.put_item(name, attributes)
            raise
        finally:
            _transacting.active = False

    setattr(transact_write_items, _PATCHED, True)
    dynamodb_models.copy = SimpleNamespace(deepcopy=deepcopy)  # type: ignore[attr-defined,assignment]
    dynamodb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]


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
