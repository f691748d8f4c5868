"""Nightly batch jobs: product summaries precomputed through the one pipeline into the response cache."""
