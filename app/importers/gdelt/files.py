"""GDELT's input files, plain or zipped, read line by line as tab-separated fields."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

DEFAULT_BATCH = 2000  # rows read into one batch, written in one transaction


def is_mentions_file(path: str | Path) -> bool:
    """GDELT names its files ``YYYYMMDDHHMMSS.export.CSV`` and ``….mentions.CSV`` (optionally ``.zip``)."""
    return "mentions" in Path(path).name.lower()


def input_bytes(path: str | Path) -> int:
    """How many (uncompressed) bytes importing the file reads: the progress total."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in zf.infolist() if not i.is_dir())
    return path.stat().st_size


def _members(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    with zf.open(info) as fh:
                        yield f"{path}:{info.filename}", fh
    else:
        with path.open("rb") as fh:
            yield str(path), fh


def read_lines(
    paths: Iterable[str | Path], files: list[str], advance: Callable[[int], None]
) -> Iterator[tuple[str, int, list[str]]]:
    """(file name, 1-based line number, fields) for every non-blank line of every file (every member of
    a zip). Each file's name is appended to ``files``; ``advance`` gets the bytes of every line read."""
    for p in paths:
        for name, fh in _members(Path(p)):
            files.append(name)
            for lineno, raw in enumerate(fh, 1):
                advance(len(raw))
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                if text.strip():
                    yield name, lineno, text.split("\t")
