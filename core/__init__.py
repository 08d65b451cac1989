"""The engines: record store, formulas, validation, numbering, history. No Flask here."""
