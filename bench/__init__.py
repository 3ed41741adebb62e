"""Benchmarks (pytest-benchmark).

Run with ``pytest bench/ -p no:cacheprovider --benchmark-only [--data DIR]``.
"""
