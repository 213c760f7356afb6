"""Lambda entry point of ingest (Chalice): webhooks, partner submissions, health. Views stay thin: adapt the
request, make one domain call, map the reply. Nothing here reads the environment or builds a client."""

from __future__ import annotations

from chalice.app import Chalice, Response

from services.ingest import bootstrap
from shared.web import api_view, from_chalice, install, json_response, reply_response

SERVICE = "ingest"

# env={}: Chalice would otherwise stamp os.environ at import. configure_logs=False: Powertools owns the logger
# of the same name and formats every line as JSON.
app = Chalice(app_name="hark-ingest", env={}, configure_logs=False)
install(app, SERVICE)


@app.route("/webhooks/{platform}", methods=["GET", "POST"], content_types=["*/*"])
@api_view(SERVICE)
def webhook(platform: str) -> Response:
    assert app.current_request is not None
    return reply_response(bootstrap.root.get().service.webhook(platform, from_chalice(app.current_request)))


@app.route("/v1/mentions", methods=["POST"], content_types=["*/*"])
@api_view(SERVICE)
def submit_mentions() -> Response:
    assert app.current_request is not None
    return reply_response(bootstrap.root.get().service.submit(from_chalice(app.current_request)))


@app.route("/health", methods=["GET"])
@api_view(SERVICE)
def health() -> Response:
    settings = bootstrap.root.get().settings
    return json_response({"status": "ok", "service": SERVICE, "stage": settings.stage})
