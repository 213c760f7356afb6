"""Analyzers turn texts into signals (language, sentiment, intent, toxicity, PII, ...). They decide nothing:
triage does."""
