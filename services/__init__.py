"""Hark's Lambda services. They never import each other; they talk through `shared.events` on queues."""
