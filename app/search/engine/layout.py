"""The index directory: generations, the `current` pointer and the sidecar meta file.

    INDEX_DIR/
      current -> gen-000003        symlink, replaced atomically (rename) to switch generations
      gen-000003/                  a complete Tantivy index + geonews-index.json
      building-000004/             a rebuild in progress + rebuild.json (its resume point)
      init.lock, rebuild.lock      flock()s: one creator of the first generation, one rebuild at a time

Readers resolve `current` when they open and on reload, so a rebuild builds beside the serving index and
switches in one rename; open readers keep their mapped files (deleted files stay readable on POSIX).

The sidecar (`geonews-index.json`: schema version, the last applied change `seq`, document count) is
written after each Tantivy commit, atomically (temporary file, fsync, rename, fsync of the directory): it
never claims more than what Tantivy has made durable.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .schema import READABLE_VERSIONS, SCHEMA_VERSION, create_index

META = "geonews-index.json"
PROGRESS = "rebuild.json"
CURRENT = "current"
_GEN = re.compile(r"^(gen|building)-(\d{6})$")


@dataclass(frozen=True)
class IndexMeta:
    schema_version: int
    seq: int  # the last change applied and committed
    docs: int
    generation: int
    committed_at: str

    @classmethod
    def now(cls, *, seq: int, docs: int, generation: int, schema_version: int = SCHEMA_VERSION) -> IndexMeta:
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
        return cls(schema_version, seq, docs, generation, stamp)

    @property
    def readable(self) -> bool:
        """This version's searches can read the index (see schema.READABLE_VERSIONS)."""
        return self.schema_version in READABLE_VERSIONS


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path) as f:
            data = json.load(f)
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_meta(gen_dir: Path) -> IndexMeta | None:
    data = read_json(gen_dir / META)
    if data is None:
        return None
    try:
        return IndexMeta(**{k: data[k] for k in IndexMeta.__dataclass_fields__})
    except (KeyError, TypeError):
        return None


def write_meta(gen_dir: Path, meta: IndexMeta) -> None:
    write_json_atomic(gen_dir / META, asdict(meta))


def generation_number(path: Path) -> int:
    m = _GEN.match(path.name)
    return int(m.group(2)) if m else 0


def current(root: Path) -> Path | None:
    """The generation directory `current` points at (resolved), or None before the first one exists."""
    link = root / CURRENT
    try:
        target = os.readlink(link)
    except (FileNotFoundError, OSError):
        return None
    path = (root / target).resolve()
    return path if path.is_dir() else None


def _next_number(root: Path) -> int:
    numbers = [generation_number(p) for p in root.iterdir() if _GEN.match(p.name)] if root.exists() else []
    return max(numbers, default=0) + 1


def building_dirs(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted((p for p in root.iterdir() if p.name.startswith("building-") and p.is_dir()), reverse=True)


def new_building_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"building-{_next_number(root):06d}"
    path.mkdir()
    return path


def publish(root: Path, building: Path) -> Path:
    """Turn a finished build into the current generation: rename it, then swap the `current` symlink in one
    rename. Older generations but the one it replaces are removed (that one may still serve readers that
    have not reloaded yet; it goes at the next switch)."""
    previous = current(root)
    gen = root / building.name.replace("building-", "gen-")
    os.replace(building, gen)
    tmp = root / (CURRENT + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(gen.name, tmp)
    os.replace(tmp, root / CURRENT)
    fsync_dir(root)
    for p in root.iterdir():
        if p.name.startswith("gen-") and p not in (gen, previous) and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
    return gen


@contextlib.contextmanager
def flock(path: Path, *, blocking: bool) -> Iterator[bool]:
    """An exclusive advisory lock on `path`; yields whether it was taken (always True when blocking). The
    kernel releases it if the process dies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def ensure_current(root: Path) -> Path:
    """The current generation, creating an empty one (seq 0) if there is none yet."""
    gen = current(root)
    if gen is not None:
        return gen
    with flock(root / "init.lock", blocking=True):
        gen = current(root)
        if gen is not None:
            return gen
        building = new_building_dir(root)
        index = create_index(building)
        writer = index.writer(15_000_000, 1)
        writer.commit()
        writer.wait_merging_threads()
        del writer, index
        write_meta(building, IndexMeta.now(seq=0, docs=0, generation=generation_number(building)))
        return publish(root, building)


@dataclass(frozen=True)
class Status:
    """What a process finds in an index directory at start-up."""

    exists: bool
    schema_ok: bool
    meta: IndexMeta | None
    building: bool  # a rebuild (perhaps interrupted) left a building directory

    @property
    def needs_rebuild(self) -> bool:
        return not self.exists or not self.schema_ok

    @property
    def readable(self) -> bool:
        """Searches may read it (meanwhile, when it needs a rebuild)."""
        return self.meta is not None and self.meta.readable


def status(root: Path) -> Status:
    gen = current(root)
    meta = read_meta(gen) if gen is not None else None
    return Status(
        exists=meta is not None,
        schema_ok=meta is not None and meta.schema_version == SCHEMA_VERSION,
        meta=meta,
        building=bool(building_dirs(root)),
    )
