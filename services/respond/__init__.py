"""respond: turns mentions that need a human into tasks (one per conversation thread), routes them, runs their
SLA clocks, and serves the partner REST API and the command-center dashboard."""
