"""Training and evaluation of the local analyzer's models (dev-only: never packaged into a Lambda)."""
