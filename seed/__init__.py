"""Metadata packs shipped with Danbao (data only)."""
