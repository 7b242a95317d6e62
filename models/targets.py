"""The figures a failure warner is held to, on unseen data: the plans this project serves
ask for them, and every part that judges a model reads them from here."""

from __future__ import annotations

PRECISION_TARGET = 0.8  # of warnings, the share followed by their failure
FALSE_ALARMS_TARGET = 0.1  # per asset-month: more are not acted on
RECALL_TARGET = 0.85  # of failures whose precursor began at least 6 h ahead
