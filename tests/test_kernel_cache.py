"""The kernel cache directory follows the kernels' source (engine/kernel_cache.py).

numba reuses a cached function while its own file is unchanged, even when a function it
calls (or a constant it reads) in another file changed; these tests hold the digest that
names the directory to the kernels' sources (their modules and what those import), and
check where a fresh process puts its kernels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine import kernel_cache

ROOT = Path(__file__).resolve().parent.parent


def _copy_sources(tmp_path: Path) -> Path:
    for package in ("engine", "rules"):
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "default"))
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")


def test_digest_follows_the_kernels_sources_and_only_those(tmp_path: Path) -> None:
    root = _copy_sources(tmp_path)
    digest = kernel_cache.source_digest.__wrapped__
    before = digest(root)
    assert before == digest(ROOT)
    # A module no kernel module imports: the compiled code cannot depend on it.
    _append(root / "engine" / "decide.py", "\n# note\n")
    assert digest(root) == before
    # A callee's file (textclasses' helpers are compiled into textbatch's kernels): a
    # change there alone must name a new directory.
    _append(root / "engine" / "textclasses.py", "\n# x\n")
    after_callee = digest(root)
    assert after_callee != before
    # A module kernel modules import constants from (rules.phone's digit limit).
    _append(root / "rules" / "phone.py", "\n# y\n")
    assert digest(root) != after_callee


def test_kernel_sources_follow_imports() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in kernel_cache.kernel_sources()}
    assert {"engine/textbatch.py", "engine/textclasses.py", "engine/extract_gate.py",
            "engine/extract.py", "rules/phone.py", "rules/listfile.py"} <= names
    assert "engine/decide.py" not in names and "engine/kernel_cache.py" not in names


def _run(code: str, base: Path) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter whose kernel cache base is ``base``."""
    env = {**os.environ, kernel_cache.BASE_ENV: str(base), "PYTHONPATH": str(ROOT)}
    env.pop("NUMBA_CACHE_DIR", None)  # this process's choice, which it would inherit
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=120)


def test_a_fresh_process_keeps_its_kernels_in_the_digest_directory(tmp_path: Path) -> None:
    base = tmp_path / "kernels"
    # Other versions' directories, started at 1, 2 and 3: the two last are kept.
    versions = [base / (str(i) * 16) for i in range(1, 4)]
    for started, version in enumerate(versions, start=1):
        version.mkdir(parents=True)
        os.utime(version, (started, started))
    unrelated = base / "notes"  # not a digest: left alone
    unrelated.mkdir()
    out = _run("import os, engine, engine.textbatch as t; "
               "print(os.environ['NUMBA_CACHE_DIR']); print(t._fold_batch.stats.cache_path)",
               base).stdout
    cache_dir, kernel_path = out.strip().splitlines()
    assert Path(cache_dir) == base / kernel_cache.source_digest()
    assert Path(kernel_path).is_relative_to(cache_dir)
    assert [v.exists() for v in versions] == [False, True, True]
    assert unrelated.exists()


def test_an_unusable_cache_directory_warns_and_never_stops_the_engine(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")  # mkdir under it fails, even for root
    done = _run("import logging; logging.basicConfig(); "
                "import numba.core.config as c, engine; print(repr(c.CACHE_DIR))",
                blocker / "kernels")
    assert done.stdout.strip() == "''"  # numba's default place
    assert "kernel cache: none of" in done.stderr
