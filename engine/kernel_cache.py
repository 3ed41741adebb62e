"""Where numba keeps the compiled kernels: a directory per version of the kernels' source.

numba's ``cache=True`` reuses a compiled function while the file that defines it is
unchanged, and does not look at the files of the functions it calls (a documented
limitation). Here kernels call kernels across modules (``engine.textbatch`` calls
``engine.textclasses`` and ``engine.extract_gate``), so a checkout that changed only a
callee, say after ``git pull``, would go on running the old machine code in its callers:
decisions quietly different from the Python reference, with every test of the new code
passing on a clean clone. So the cache lives in a directory named by a digest of every
``engine`` module that defines kernels; any change to one of them starts a fresh
directory, compiled once (~40 s, see docs/architecture.md); the directories of all but
the :data:`KEEP_OTHER_VERSIONS` versions started last before it are removed.

:func:`configure` runs when this module is imported, which ``engine/__init__.py`` does
before anything else: the cache location of a numba function is fixed when it is
decorated. (``rules.listfile``'s one kernel calls no other and so is safe wherever numba
keeps it: ``rules`` may be imported before ``engine``.)

The base directory: ``$INTERCEPTOR_KERNEL_CACHE`` if set, else ``engine/__pycache__/
kernels`` when the checkout is writable, else ``$XDG_CACHE_HOME/interceptor/kernels``
(``~/.cache`` by default). ``NUMBA_CACHE_DIR`` is set to the chosen directory, so that
numba's own configuration reloads and child processes agree with this one.

>>> path = configure()
>>> path.name == source_digest() and path.is_dir()
True
"""

from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
BASE_ENV = "INTERCEPTOR_KERNEL_CACHE"
_DIGEST_CHARS = 16
_THIS_FILE = Path(__file__).name  # mentions njit, defines no kernel
#: Directories of other versions of the kernels kept beside the current one (the most
#: recently started ones): ~15 MB each.
KEEP_OTHER_VERSIONS = 2


@lru_cache(maxsize=4)
def source_digest(engine_dir: Path = ENGINE_DIR) -> str:
    """A digest of the source of every module in ``engine_dir`` that defines a numba
    kernel (a file that mentions ``njit``), in name order; with numba's version, whose
    compiler the cache also depends on. Reading them takes ~1 ms."""
    import numba

    h = hashlib.sha256(numba.__version__.encode())
    for path in sorted(engine_dir.glob("*.py")):
        source = path.read_bytes()
        if b"njit" in source and path.name != _THIS_FILE:
            h.update(path.name.encode() + b"\0" + source + b"\0")
    return h.hexdigest()[:_DIGEST_CHARS]


def _base_dir() -> Path:
    configured = os.environ.get(BASE_ENV)
    if configured:
        return Path(configured)
    in_tree = ENGINE_DIR / "__pycache__"
    if os.access(ENGINE_DIR, os.W_OK) and (not in_tree.exists() or os.access(in_tree, os.W_OK)):
        return in_tree / "kernels"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "interceptor" / "kernels"


def configure() -> Path:
    """Point numba's cache at this source's directory (created if need be) and remove
    older versions' directories under the same base; return it. Idempotent."""
    import numba.core.config

    base = _base_dir()
    path = base / source_digest()
    path.mkdir(parents=True, exist_ok=True)
    os.utime(path)  # "used now": what the pruning below goes by
    others = sorted((d for d in base.iterdir() if d.is_dir() and d.name != path.name
                     and len(d.name) == _DIGEST_CHARS), key=lambda d: d.stat().st_mtime)
    # Keep the versions started last (two versions may serve from one base during a
    # rollout); remove the rest. A process still running a removed version has its
    # kernels loaded already; ignore_errors covers a peer removing the same directory.
    for other in others[:max(0, len(others) - KEEP_OTHER_VERSIONS)]:
        shutil.rmtree(other, ignore_errors=True)
    if base == ENGINE_DIR / "__pycache__" / "kernels":
        # numba's own files beside the sources, from before this module: never read again.
        for stale in (*base.parent.glob("*.nbi"), *base.parent.glob("*.nbc")):
            stale.unlink(missing_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(path)
    numba.core.config.CACHE_DIR = str(path)  # type: ignore[attr-defined, unused-ignore]
    return path


configure()
