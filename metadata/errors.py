"""Problems found in metadata, each naming file, line and key path; reported all at once."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    file: str          # "pack/kind/file.yaml"
    line: int | None   # 1-based
    path: str          # "fields.id_no.pattern"
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class MetadataError(Exception):
    """Raised with every problem found; nothing was installed."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))
