"""Packs as .zip archives (the studio's export and import; docs/studio.md), and what installing a set
of packs would change.

An archive holds one folder per pack (`standard/pack.yaml`, `acme/entities/…`), or a single pack at
its root. Reading one is defensive: paths are relative and stay inside their pack, only metadata
(YAML, JSON) and template (.docx) files are kept, and the number and total size of the files are
bounded, so a crafted archive cannot fill the disk or the memory.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from metadata.model import Metadata
from metadata.source import BINARY_SUFFIXES, SUFFIXES, PackSource

from .errors import ValidationError, msg
from .metastore import pack_name

MAX_FILES = 5000
MAX_BYTES = 64 * 1024 * 1024          # uncompressed, all files together


def to_zip(sources: list[PackSource]) -> bytes:
    """One folder per pack, named by the pack's manifest."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for source in sources:
            name = pack_name(source)
            for rel, text in sorted(source.files.items()):
                z.writestr(f"{name}/{rel}", text.encode("utf-8"))
            for rel, data in sorted(source.binaries.items()):
                z.writestr(f"{name}/{rel}", data)
    return out.getvalue()


def _refuse(zh: str, en: str) -> ValidationError:
    return ValidationError({"archive": [msg(zh, en)]})


def from_zip(data: bytes) -> list[PackSource]:
    """The packs in an archive; ValidationError (at `archive`) saying what is wrong with it."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse("不是有效的 zip 压缩包", "not a valid .zip archive") from None
    entries = [i for i in z.infolist() if not i.is_dir()]
    if len(entries) > MAX_FILES or sum(i.file_size for i in entries) > MAX_BYTES:
        raise _refuse(f"压缩包过大（最多 {MAX_FILES} 个文件、{MAX_BYTES // 2**20} MB）",
                      f"the archive is too large (at most {MAX_FILES} files, {MAX_BYTES // 2**20} MB)")
    paths = {}
    for info in entries:
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or any(p.startswith(".") for p in path.parts) \
                or path.parts[0] == "__MACOSX":
            continue
        paths[path] = info
    roots = sorted({p.parent for p in paths if p.name == "pack.yaml"}, key=str)
    if not roots:
        raise _refuse("压缩包中没有 pack.yaml：每个包的文件夹都需要一个", "no pack.yaml in the archive: each pack's folder needs one")
    if any(r != PurePosixPath(".") and len(r.parts) > 1 for r in roots) or \
            (PurePosixPath(".") in roots and len(roots) > 1):
        raise _refuse("压缩包应在根目录放一个包，或每个包一个文件夹", "put one pack at the archive's root, or one folder per pack")
    sources = []
    for root in roots:
        files, binaries = {}, {}
        for path, info in paths.items():
            if root != PurePosixPath(".") and path.parts[0] != root.parts[0]:
                continue
            rel = path.relative_to(root).as_posix()
            raw = z.read(info)
            if path.suffix in SUFFIXES:
                try:
                    files[rel] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise _refuse(f"{path} 不是 UTF-8 文本", f"{path} is not UTF-8 text") from None
            elif path.suffix.lower() in BINARY_SUFFIXES:
                binaries[rel] = raw
        sources.append(PackSource(root.name or "pack", files, binaries))
    return sources


@dataclass(frozen=True)
class Change:
    kind: str          # entities, forms, workflows, products, …
    name: str
    change: str        # added | removed | changed
    detail: str = ""   # for an entity: the fields added and removed


def changes(before: Metadata | None, after: Metadata) -> list[Change]:
    """What installing `after` changes against `before`, kind by kind and name by name."""
    old = before.kinds if before is not None else {}
    out = []
    for kind in sorted(set(old) | set(after.kinds)):
        a, b = old.get(kind, {}), after.kinds.get(kind, {})
        for name in sorted(set(a) | set(b)):
            if name not in a:
                out.append(Change(kind, name, "added"))
            elif name not in b:
                out.append(Change(kind, name, "removed"))
            elif a[name] != b[name]:
                out.append(Change(kind, name, "changed", _fields(a[name], b[name]) if kind == "entities" else ""))
    return out


def _fields(a, b) -> str:
    was, now = {f.name for f in a.fields}, {f.name for f in b.fields}
    parts = [f"+{n}" for n in sorted(now - was)] + [f"-{n}" for n in sorted(was - now)]
    return " ".join(parts)
