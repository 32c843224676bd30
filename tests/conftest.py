"""Fixtures shared by the builder tests."""

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
