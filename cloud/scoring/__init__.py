"""Scoring: each asset's recent window from the store, through the model, to warnings."""
