"""Warnings raised by warning rules (the `rule` kind, docs/rules.md).

Modules: ``render`` (a message template filled from a record), ``evaluate`` (one rule on one
record: holds?, key, message, recipients, or the error), ``links`` (linked records the rules'
formulas read, loaded per batch), ``persist`` (raise, refresh and resolve a batch's warnings
idempotently), ``scan`` (the daily scan, streaming records in batches; escalation), ``hooks``
(on save, on entering a workflow step), ``lifecycle`` (acknowledge, handle, the lists).
"""
from .evaluate import Outcome
from .lifecycle import LEVELS, STATES, WarningError, acknowledge, handle, listing
from .scan import ScanResult, scan

__all__ = ["LEVELS", "Outcome", "STATES", "ScanResult", "WarningError", "acknowledge", "handle", "listing", "scan"]
