"""The kernel cache directory follows the kernels' source (engine/kernel_cache.py).

numba reuses a cached function while its own file is unchanged, even when a function it
calls in another file changed; these tests hold the digest that names the directory to
every kernel file, and check where a fresh process puts its kernels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine import kernel_cache

ROOT = Path(__file__).resolve().parent.parent


def _copy_engine(tmp_path: Path) -> Path:
    copy = tmp_path / "engine"
    shutil.copytree(kernel_cache.ENGINE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_digest_follows_every_kernel_file_and_only_those(tmp_path: Path) -> None:
    copy = _copy_engine(tmp_path)
    before = kernel_cache.source_digest.__wrapped__(copy)
    assert before == kernel_cache.source_digest.__wrapped__(kernel_cache.ENGINE_DIR)
    # A file without kernels: the compiled code cannot depend on it.
    (copy / "types.py").write_text((copy / "types.py").read_text() + "\n# note\n")
    assert kernel_cache.source_digest.__wrapped__(copy) == before
    # A callee's file (textclasses' helpers are compiled into textbatch's kernels): a
    # change there alone must name a new directory.
    (copy / "textclasses.py").write_text((copy / "textclasses.py").read_text() + "\n# x\n")
    assert kernel_cache.source_digest.__wrapped__(copy) != before


def _run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=120)
    return done.stdout.strip()


def test_a_fresh_process_keeps_its_kernels_in_the_digest_directory(tmp_path: Path) -> None:
    base = tmp_path / "kernels"
    # Other versions' directories, started at 1, 2 and 3: the two last are kept.
    versions = [base / (str(i) * 16) for i in range(1, 4)]
    for started, version in enumerate(versions, start=1):
        version.mkdir(parents=True)
        os.utime(version, (started, started))
    unrelated = base / "notes"  # not a digest: left alone
    unrelated.mkdir()
    env = {**os.environ, kernel_cache.BASE_ENV: str(base), "PYTHONPATH": str(ROOT)}
    env.pop("NUMBA_CACHE_DIR", None)
    out = _run("import os, engine, engine.textbatch as t; "
               "print(os.environ['NUMBA_CACHE_DIR']); print(t._fold_batch.stats.cache_path)",
               env)
    cache_dir, kernel_path = out.splitlines()
    assert Path(cache_dir) == base / kernel_cache.source_digest()
    assert Path(kernel_path).is_relative_to(cache_dir)
    assert [v.exists() for v in versions] == [False, True, True]
    assert unrelated.exists()
