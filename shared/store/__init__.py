"""DynamoDB: the PynamoDB table models and the adapters that turn their records into the project's types."""
