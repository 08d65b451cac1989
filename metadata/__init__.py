"""The metadata language: schemas, pack loading, overlays, semantic checks, compiled model."""
