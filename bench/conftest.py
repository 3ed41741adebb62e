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
    path = config.getoption("--data", default=None)
    if path:
        data.set_data_dir(path)


@pytest.fixture(scope="session")
def data_source() -> str:
    """Where the benchmark data comes from (``real:<dir>`` or ``generated``)."""
    return data.source()
