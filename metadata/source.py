"""Pack sources: a pack's files, read from a folder or from the database.

Metadata files (YAML, JSON) are text; files a kind refers to by name, such as the `.docx`
templates of documents, are bytes and kept apart, so text handling never sees them. Both are
stored with each metadata version (binary files base64-encoded) and written back byte for byte.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

SUFFIXES = (".yaml", ".yml", ".json")
BINARY_SUFFIXES = (".docx",)


@dataclass(frozen=True)
class PackSource:
    """One pack: relative path -> text, and relative path -> bytes for binary files.
    `label` names it in error messages."""
    label: str
    files: dict[str, str]
    binaries: Mapping[str, bytes] = field(default_factory=dict)

    def digest(self) -> str:
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.encode() + b"\0" + self.files[path].encode() + b"\0")
        for path in sorted(self.binaries):   # after the text, so packs without binaries keep their digest
            h.update(b"\1" + path.encode() + b"\0" + hashlib.sha256(self.binaries[path]).digest())
        return h.hexdigest()

    def stored(self) -> dict:
        """The JSON stored with a metadata version (see `from_stored`)."""
        out = {"label": self.label, "files": self.files}
        if self.binaries:
            out["binaries"] = {p: base64.b64encode(b).decode("ascii") for p, b in sorted(self.binaries.items())}
        return out

    @classmethod
    def from_stored(cls, data: Mapping) -> "PackSource":
        binaries = {p: base64.b64decode(b) for p, b in (data.get("binaries") or {}).items()}
        return cls(data["label"], dict(data["files"]), binaries)


def read_pack_dir(path: str | Path) -> PackSource:
    root = Path(path)
    if not (root / "pack.yaml").is_file():
        raise FileNotFoundError(f"{root}: not a pack (no pack.yaml)")
    files, binaries = {}, {}
    for p in sorted(root.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        rel = p.relative_to(root).as_posix()
        if p.suffix in SUFFIXES:
            files[rel] = p.read_text(encoding="utf-8")
        elif p.suffix.lower() in BINARY_SUFFIXES and not p.name.startswith("~$"):   # ~$: Word's lock file
            binaries[rel] = p.read_bytes()
    return PackSource(root.name, files, binaries)


def digest_of(sources: list[PackSource]) -> str:
    h = hashlib.sha256()
    for s in sources:
        h.update(s.digest().encode())
    return h.hexdigest()[:16]
