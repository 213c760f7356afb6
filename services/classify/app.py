"""Lambda entry point of classify: the consumer of the classify queue. Nothing here reads the environment or
builds a client; the composition root does, on the first message."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice, SQSEvent

from services.classify import bootstrap
from shared.resources import CLASSIFY

assert CLASSIFY.sqs_source is not None
_source = CLASSIFY.sqs_source

# env={}: Chalice would otherwise stamp os.environ at import. configure_logs=False: Powertools owns the logger.
app = Chalice(app_name="hark-classify", env={}, configure_logs=False)


# The queue named here is nominal: the CDK app points the event source at the real queue's ARN and turns on
# ReportBatchItemFailures, which Chalice cannot express.
@app.on_sqs_message(
    queue=_source.queue.key,
    batch_size=_source.batch_size,
    maximum_batching_window_in_seconds=_source.max_batching_window_s,
)
def on_classify_queue(event: SQSEvent) -> dict[str, Any]:
    return bootstrap.root.get().handler(event.to_dict(), event.context)
