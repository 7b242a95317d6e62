"""Alerts to the maintenance team: Alertmanager-style messages and pluggable channels."""
