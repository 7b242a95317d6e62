"""Failure warnings in the database: opened, updated and closed from assessments; dismissed."""
