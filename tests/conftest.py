"""Fixtures shared by the builder tests, and the order in which the suite runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def scratch_manifests(tmp_path):
    """Copy real manifests into a scratch data folder, less their row-count floor (fixtures are small).

    Returns a function taking table names and giving the folder, so a builder test writes a fixture-sized
    table through the very manifest the committed table follows.
    """

    def copy(*names: str) -> Path:
        for name in names:
            text = (REPO_DATA / f"{name}.yml").read_text(encoding="utf-8")
            (tmp_path / f"{name}.yml").write_text(re.sub(r"(?m)^min_rows:.*\n", "", text), encoding="utf-8")
        return tmp_path

    return copy


def pytest_collection_modifyitems(session, config, items):
    """Run the staleness check first: a notebook whose inputs changed fails in a second, with what changed,
    instead of after minutes of nbval re-execution."""
    first = [item for item in items if item.nodeid.startswith("tests/test_fingerprint.py::test_committed_notebook")]
    items[:] = first + [item for item in items if item not in first]
