"""Ingest's outbound HTTP adapters: the platform APIs a connector asks (status codes stay here)."""
