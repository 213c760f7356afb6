"""ingest: answers platform handshakes, verifies signatures on the raw bytes, normalises deliveries into
`Mention`s, drops duplicates and enqueues the rest for classification, within the platform's timeout."""
