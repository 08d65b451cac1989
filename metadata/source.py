"""Pack sources: a pack's files as text, read from a folder or from the database."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class PackSource:
    """One pack as text: relative path -> file content. `label` names it in error messages."""
    label: str
    files: dict[str, str]

    def digest(self) -> str:
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.encode() + b"\0" + self.files[path].encode() + b"\0")
        return h.hexdigest()


def read_pack_dir(path: str | Path) -> PackSource:
    root = Path(path)
    if not (root / "pack.yaml").is_file():
        raise FileNotFoundError(f"{root}: not a pack (no pack.yaml)")
    files = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in SUFFIXES and not any(part.startswith(".") for part in p.parts):
            files[p.relative_to(root).as_posix()] = p.read_text(encoding="utf-8")
    return PackSource(root.name, files)


def digest_of(sources: list[PackSource]) -> str:
    h = hashlib.sha256()
    for s in sources:
        h.update(s.digest().encode())
    return h.hexdigest()[:16]
