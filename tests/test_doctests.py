"""Every docstring example in the engine, the rules package and the proto conversions runs."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import engine
import rules


def _modules() -> list[str]:
    names = ["proto.convert"]
    for package in (engine, rules):
        names += [info.name for info in pkgutil.iter_modules(package.__path__,
                                                            package.__name__ + ".")]
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
