"""pytest options for the benchmarks: ``--data DIR`` selects the real corpora."""

from __future__ import annotations

import pytest

from bench import data


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("interceptor-bench")
    group.addoption("--data", action="store", default=None,
                    help="data directory with the real corpora (like /work/shared/data); "
                         "default: $INTERCEPTOR_DATA, else generated data")


def pytest_configure(config: pytest.Config) -> None:
    # Benchmark modules are named bench_*.py so that the default test run
    # (testpaths = tests, files test_*.py) never picks them up; collect them
    # when pytest is pointed at bench/.
    config.addinivalue_line("python_files", "bench_*.py")
    path = config.getoption("--data", default=None)
    if path:
        data.set_data_dir(path)


@pytest.fixture(scope="session")
def data_source() -> str:
    """Where the benchmark data comes from (``real:<dir>`` or ``generated``)."""
    return data.source()
