"""Benchmarks (pytest-benchmark); run with ``pytest bench/ -p no:cacheprovider --benchmark-only``."""
