"""Where numba keeps the compiled kernels: a directory per version of the kernels' source.

numba's ``cache=True`` reuses a compiled function while the file that defines it is
unchanged, and does not look at the files of the functions it calls (a documented
limitation). Here kernels call kernels across modules (``engine.textbatch`` calls
``engine.textclasses`` and ``engine.extract_gate``), so a checkout that changed only a
callee, say after ``git pull``, would go on running the old machine code in its callers:
decisions quietly different from the Python reference, with every test of the new code
passing on a clean clone. numba also freezes the values of globals into the machine
code, and kernels read constants of other modules. So the cache lives in a directory
named by a digest of every ``engine`` and ``rules`` module that defines kernels and of
the modules those import (:func:`kernel_sources`); any change to one of them starts a
fresh directory, compiled once (~40 s, see docs/architecture.md); the directories of all but
the :data:`KEEP_OTHER_VERSIONS` versions started last before it are removed.

:func:`configure` runs when this module is imported, which ``engine/__init__.py`` does
before anything else: the cache location of a numba function is fixed when it is
decorated. ``rules.listfile``'s one kernel may be decorated before (``rules`` can be
imported first) and then stays in numba's default place, which is safe for it alone: it
calls no other kernel and reads no other module's globals (its digit limit is passed in).

The base directory: ``$INTERCEPTOR_KERNEL_CACHE`` if set, else ``engine/__pycache__/
kernels`` when the checkout is writable, else ``$XDG_CACHE_HOME/interceptor/kernels``
(``~/.cache`` by default). ``NUMBA_CACHE_DIR`` is set to the chosen directory, so that
numba's own configuration reloads and child processes agree with this one. Where none
can be written, numba keeps its default and a warning says so: a cache never stops the
service.

>>> path = configure()
>>> path is not None and path.name == source_digest() and path.is_dir()
True
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import sys
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

ENGINE_DIR = Path(__file__).resolve().parent
ROOT = ENGINE_DIR.parent
_IN_TREE = ENGINE_DIR / "__pycache__" / "kernels"  # the base for a writable checkout
_PACKAGES = ("engine", "rules")
_IMPORT_RE = re.compile(r"^(?:from|import) (engine|rules)\.(\w+)", re.MULTILINE)
_FROM_PACKAGE_RE = re.compile(r"^from (engine|rules) import ([\w ,]+)$", re.MULTILINE)
BASE_ENV = "INTERCEPTOR_KERNEL_CACHE"
_DIGEST_CHARS = 16
_THIS_FILE = Path(__file__).name  # mentions njit, defines no kernel
#: Directories of other versions of the kernels kept beside the current one (the most
#: recently started ones): ~15 MB each.
KEEP_OTHER_VERSIONS = 2


@lru_cache(maxsize=4)
def source_digest(root: Path = ROOT) -> str:
    """A digest of the source the kernels are compiled from: every module of ``engine``
    and ``rules`` under ``root`` that defines a kernel (mentions ``njit``), and every
    module of theirs those import, whose constants numba freezes into the machine code
    (:func:`kernel_sources`); with the numba, numpy and Python versions. Reading them
    takes a few ms."""
    import numba
    import numpy

    h = hashlib.sha256(f"{numba.__version__} {numpy.__version__} {sys.version}".encode())
    for path, source in sorted(_kernel_source_bytes(root).items()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + source + b"\0")
    return h.hexdigest()[:_DIGEST_CHARS]


def kernel_sources(root: Path = ROOT) -> list[Path]:
    """The files :func:`source_digest` reads, sorted: the kernel modules of ``engine`` and
    ``rules`` and, transitively, the modules of those packages they import.

    >>> [p.name for p in kernel_sources()][:3]
    ['arena.py', 'extract.py', 'extract_gate.py']
    """
    return sorted(_kernel_source_bytes(root))


def _kernel_source_bytes(root: Path) -> dict[Path, bytes]:
    """:func:`kernel_sources` with their contents, each module read once (this runs at
    every ``import engine``)."""
    modules = {p: p.read_bytes() for package in _PACKAGES for p in (root / package).glob("*.py")
               if p.name != _THIS_FILE}
    todo = [p for p, source in modules.items() if b"njit" in source]
    found: dict[Path, bytes] = {}
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found[path] = modules[path]
        source = modules[path].decode("utf-8")
        names = _IMPORT_RE.findall(source) + [
            (package, name.strip()) for package, names in _FROM_PACKAGE_RE.findall(source)
            for name in names.split(",")]
        for package, name in names:
            imported = root / package / f"{name.split(' as ')[0].strip()}.py"
            if imported in modules:
                todo.append(imported)
    return found


def _base_dirs() -> list[Path]:
    """Where the cache may live, in order of preference (see the module docstring)."""
    configured = os.environ.get(BASE_ENV)
    if configured:
        return [Path(configured)]
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return [_IN_TREE, Path(xdg) / "interceptor" / "kernels"]


def configure() -> Path | None:
    """Point numba's cache at this source's directory (created if need be) under the first
    usable base and remove older versions' directories there; return it. Idempotent.
    None, with a warning, when no base can be written: numba then keeps its own default
    (its cache is then only as safe as numba makes it), and nothing fails over a cache."""
    import numba.core.config

    digest = source_digest()
    for base in _base_dirs():
        path = base / digest
        try:
            path.mkdir(parents=True, exist_ok=True)
            os.utime(path)  # "used now": what the pruning goes by
            if not os.access(path, os.W_OK):
                raise PermissionError(f"{path} is not writable")
        except OSError as exc:
            log.debug("kernel cache: cannot use %s: %s", base, exc)
            continue
        _prune(base, keep=path)
        os.environ["NUMBA_CACHE_DIR"] = str(path)
        numba.core.config.CACHE_DIR = str(path)  # type: ignore[attr-defined, unused-ignore]
        return path
    log.warning("kernel cache: none of %s is writable; numba keeps its default cache",
                ", ".join(map(str, _base_dirs())))
    return None


def _prune(base: Path, keep: Path) -> None:
    """Remove the directories of all but the :data:`KEEP_OTHER_VERSIONS` other versions
    started last, and numba's own in-tree files from before this module."""
    others = []
    for entry in base.iterdir():
        try:
            if entry != keep and len(entry.name) == _DIGEST_CHARS and entry.is_dir():
                others.append((entry.stat().st_mtime, entry))
        except OSError:  # a peer process removed it meanwhile
            continue
    others.sort()
    # Two versions may serve from one base during a rollout. A process still running a
    # removed version has its kernels loaded already; ignore_errors covers a peer
    # removing the same directory.
    for _, other in others[:max(0, len(others) - KEEP_OTHER_VERSIONS)]:
        shutil.rmtree(other, ignore_errors=True)
    if base == _IN_TREE:
        for stale in (*base.parent.glob("*.nbi"), *base.parent.glob("*.nbc")):
            stale.unlink(missing_ok=True)  # numba's files beside the sources: never read

configure()
