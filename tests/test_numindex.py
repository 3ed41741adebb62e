"""NumberIndex against a Python dict, longest-prefix against brute force, range decomposition."""

from __future__ import annotations

import numpy as np
import pytest

from engine.numindex import _AHEAD, NumberIndex, range_to_prefixes, warm


def _random_keys(rng: np.random.Generator, n: int) -> np.ndarray:
    keys = np.unique(rng.integers(8613000000000, 8619999999999, size=n + n // 10 + 8))
    rng.shuffle(keys)
    return keys[:n]


@pytest.mark.parametrize("n", [1, 7, 1000, 200_000])
def test_lookup_matches_dict(n: int) -> None:
    rng = np.random.default_rng(n)
    keys = _random_keys(rng, n)
    values = rng.integers(0, 2**31 - 1, size=n).astype(np.int32)
    idx = NumberIndex.build(keys, values)
    assert len(idx) == n
    queries = np.concatenate([keys, rng.integers(8613000000000, 8619999999999, size=n),
                              np.array([0, 1, -5, 10**18 - 1], dtype=np.int64)])
    rng.shuffle(queries)
    expected = dict(zip(keys.tolist(), values.tolist(), strict=True))
    want = [expected.get(q, -1) for q in queries.tolist()]
    assert idx.lookup(queries).tolist() == want
    assert idx.lookup_serial(queries).tolist() == want


def test_every_batch_size_around_the_prefetch_distance() -> None:
    # The batch kernel prefetches _AHEAD queries ahead: batches shorter than, equal
    # to and just past that distance take different loop edges.
    rng = np.random.default_rng(11)
    keys = _random_keys(rng, 500)
    idx = NumberIndex.build(keys, np.arange(keys.size, dtype=np.int32))
    pool = np.concatenate([keys[:60], keys[:60] + 1])
    rng.shuffle(pool)
    position = {k: i for i, k in enumerate(keys.tolist())}
    for size in range(3 * _AHEAD + 2):
        q = pool[:size]
        assert idx.lookup(q).tolist() == [position.get(k, -1) for k in q.tolist()], size


def test_large_batch_uses_parallel_path_and_agrees() -> None:
    rng = np.random.default_rng(3)
    keys = _random_keys(rng, 50_000)
    idx = NumberIndex.build(keys, np.arange(keys.size, dtype=np.int32))
    q = np.concatenate([keys, keys + 1])
    assert q.size >= NumberIndex.PARALLEL_MIN
    assert np.array_equal(idx.lookup(q), idx.lookup_serial(q))


def test_big_table_uses_mapped_memory_and_agrees() -> None:
    # 700 k keys: a ~10 MB table, allocated as an anonymous mapping (huge pages).
    rng = np.random.default_rng(5)
    keys = _random_keys(rng, 700_000)
    idx = NumberIndex.build(keys, np.arange(keys.size, dtype=np.int32))
    assert idx.nbytes >= 8 << 20
    q = np.concatenate([keys[::7], keys[::7] + 1])
    got = idx.lookup_serial(q)
    present = np.isin(q, keys)
    assert np.array_equal(got >= 0, present)
    assert np.array_equal(keys[got[present]], q[present])
    assert idx.nbytes / len(idx) <= 16


def test_structured_sequential_keys() -> None:
    # A contiguous block of numbers (a whole number range) must not cluster.
    keys = np.arange(8613800000000, 8613800300000, dtype=np.int64)
    idx = NumberIndex.build(keys, np.arange(keys.size, dtype=np.int32) % 7)
    assert idx.lookup(keys).tolist() == (np.arange(keys.size) % 7).tolist()
    assert idx.nbytes / len(idx) <= 16


def test_empty_index() -> None:
    idx = NumberIndex.build(np.array([], dtype=np.int64), np.array([], dtype=np.int32))
    assert len(idx) == 0
    q = np.array([1, 8613800138000], dtype=np.int64)
    assert idx.lookup(q).tolist() == [-1, -1]
    assert idx.lookup_longest_prefix(q).tolist() == [-1, -1]
    assert idx.lookup(np.array([], dtype=np.int64)).shape == (0,)


@pytest.mark.parametrize(
    ("keys", "values", "message"),
    [
        ([5, 6, 5], [0, 1, 2], "duplicate key 5"),
        ([-1], [0], "non-negative"),
        ([10**18], [0], "at most 18 digits"),
        ([1, 2], [0, -3], "values must be >= 0"),
        ([1, 2], [0], "equal length"),
    ],
)
def test_build_rejects_bad_input(keys: list[int], values: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NumberIndex.build(np.array(keys, dtype=np.int64), np.array(values, dtype=np.int32))


def _brute_longest(prefixes: dict[int, int], q: int) -> int:
    s = str(q)
    for ln in range(len(s), 0, -1):
        v = prefixes.get(int(s[:ln]))
        if v is not None:
            return v
    return -1


def test_longest_prefix_matches_brute_force() -> None:
    rng = np.random.default_rng(11)
    # Prefixes of several lengths that nest (86, 86170, 861701, whole numbers...).
    base = _random_keys(rng, 300)
    pref: set[int] = {86, 861, 86170, 861701, 8617012, 1, 44}
    for b in base.tolist():
        pref.add(b // 10 ** int(rng.integers(0, 9)))
    keys = np.array(sorted(pref), dtype=np.int64)
    values = np.arange(keys.size, dtype=np.int32)
    idx = NumberIndex.build(keys, values)
    table = dict(zip(keys.tolist(), values.tolist(), strict=True))
    queries = np.concatenate([
        base, base + 17, rng.integers(8613000000000, 8619999999999, size=2000),
        np.array([8617012345678, 861, 86, 8, 4412345, 1, 999, 0, -3], dtype=np.int64),
    ])
    got = idx.lookup_longest_prefix(queries).tolist()
    assert got == [_brute_longest(table, q) if q >= 0 else -1 for q in queries.tolist()]


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(13800138000, 13800138999), (120, 135), (100, 999), (5, 5), (1, 9), (10, 10),
     (199, 201), (4000, 4999), (1234, 5678), (9990, 9999)],
)
def test_range_to_prefixes_exact_and_minimal(lo: int, hi: int) -> None:
    prefixes = range_to_prefixes(lo, hi)
    width = len(str(lo))
    covered: set[int] = set()
    for p in prefixes:
        k = width - len(str(p))
        block = set(range(p * 10**k, (p + 1) * 10**k))
        assert not block & covered, "prefixes must not overlap"
        covered |= block
    if hi - lo < 100_000:
        assert covered == set(range(lo, hi + 1))
    else:
        assert min(covered) == lo and max(covered) == hi and len(covered) == hi - lo + 1
    # Minimal: no ten sibling prefixes that could merge into their parent.
    ps = set(prefixes)
    for p in prefixes:
        parent = p // 10
        if len(str(p)) > 1 and all(parent * 10 + d in ps for d in range(10)):
            pytest.fail(f"siblings of {parent} should have been merged")


def test_range_to_prefixes_small_exhaustive() -> None:
    for lo in range(100, 1000, 37):
        for hi in range(lo, 1000, 53):
            numbers: list[int] = []
            for p in range_to_prefixes(lo, hi):
                k = 3 - len(str(p))
                numbers.extend(range(p * 10**k, (p + 1) * 10**k))
            assert sorted(numbers) == list(range(lo, hi + 1))


def test_range_prefixes_drive_longest_prefix_lookup() -> None:
    prefixes = range_to_prefixes(13800138000, 13800139499)
    idx = NumberIndex.build(np.array(prefixes, dtype=np.int64),
                            np.zeros(len(prefixes), dtype=np.int32))
    q = np.array([13800137999, 13800138000, 13800139499, 13800139500], dtype=np.int64)
    assert idx.lookup_longest_prefix(q).tolist() == [-1, 0, 0, -1]


@pytest.mark.parametrize(("lo", "hi"), [(10, 9), (99, 100), (-1, 5), (10**18, 10**18 + 1)])
def test_range_to_prefixes_rejects(lo: int, hi: int) -> None:
    with pytest.raises(ValueError):
        range_to_prefixes(lo, hi)


def test_warm_runs() -> None:
    warm()


def test_build_parts_equals_one_build() -> None:
    """A huge part plus small parts index exactly like one concatenated build."""
    rng = np.random.default_rng(11)
    keys = np.unique(rng.integers(8613000000000, 8613999999999, 50_000))
    rng.shuffle(keys)
    values = rng.integers(0, 100, keys.size).astype(np.int32)
    big, small = np.sort(keys[:49_000]), keys[49_000:]
    vbig = values[:49_000][np.argsort(keys[:49_000])]
    parts = NumberIndex.build_parts([(big, vbig), (small, values[49_000:]), (small[:0], small[:0])])
    whole = NumberIndex.build(keys, values)
    queries = np.concatenate([keys, rng.integers(8613000000000, 8613999999999, 5_000), [5]])
    assert parts.lookup(queries).tolist() == whole.lookup(queries).tolist()
    assert len(parts) == len(whole) == keys.size
    prefixes = NumberIndex.build_parts([(np.array([86170]), np.array([1])),
                                       (np.array([8613]), np.array([2]))])
    assert prefixes.lookup_longest_prefix(np.array([8617012345678, 8613912345678])).tolist() \
        == [1, 2]
