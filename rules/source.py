"""Where ruleset files come from: a directory on disk, or a bundle of files in memory.

The parser reads a ruleset only through this interface, so a version stored
in Redis (a bundle of the same files) is parsed and validated by exactly the
same code as a directory, with the same file:line errors.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol


class FileSource(Protocol):
    """Read-only access to the files of one ruleset, by relative POSIX path."""

    name: str

    def read(self, rel: str) -> bytes:
        """The bytes of ``rel``; ``FileNotFoundError`` if it is not there."""
        ...

    def glob(self, pattern: str) -> list[str]:
        """Relative paths matching ``pattern``, sorted."""
        ...


class HashingSource:
    """Wraps a source and remembers each file's size and sha256 as it is read.

    The parser reads every file once; the ruleset digest is then computed from
    these fingerprints instead of reading 100 MB lists a second time.
    """

    def __init__(self, inner: FileSource) -> None:
        self.inner = inner
        self.name = inner.name
        self.fingerprints: dict[str, tuple[int, str]] = {}

    def read(self, rel: str) -> bytes:
        data = self.inner.read(rel)
        self.fingerprints[rel] = (len(data), hashlib.sha256(data).hexdigest())
        return data

    def glob(self, pattern: str) -> list[str]:
        return self.inner.glob(pattern)


class DirectorySource:
    """A ruleset directory.

    >>> DirectorySource("rules/default").name
    'rules/default'
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.name = str(root)

    def _resolve(self, rel: str) -> Path:
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise FileNotFoundError(f"{rel!r} points outside the ruleset directory")
        return path

    def read(self, rel: str) -> bytes:
        return self._resolve(rel).read_bytes()

    def glob(self, pattern: str) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.glob(pattern)
                      if p.is_file())


class BundleSource:
    """A ruleset held in memory as ``{relative path: bytes}`` (e.g. fetched from Redis)."""

    def __init__(self, files: Mapping[str, bytes], name: str = "bundle") -> None:
        self.files = dict(files)
        self.name = name

    def read(self, rel: str) -> bytes:
        try:
            return self.files[rel]
        except KeyError:
            raise FileNotFoundError(f"{rel!r} is not in the bundle") from None

    def glob(self, pattern: str) -> list[str]:
        return sorted(p for p in self.files if fnmatch.fnmatchcase(p, pattern))
