"""DynamoDB plumbing every service shares (binding models to tables, cursor pagination); each service keeps its own
table models and adapters."""
