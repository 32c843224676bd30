"""Fixtures shared by the builder tests, the order in which the suite runs, and what to do when nbval fails."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

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


# Work units for pytest-xdist (`--dist loadfile`, see pytest.ini). A notebook's cells run in order in one kernel,
# and most test files share module fixtures, so each file is one unit; these independent tests are units of
# their own, to spread the two slowest kinds of work over both workers. (xdist's own `loadgroup` cannot do this
# under pytest 9: the group it appends to a test's id no longer reaches the scheduler.)
OWN_UNIT = ("tests/test_mutations.py::",)
# The desktop and phone checks of one shard of the pages read the same single load of each page (see
# test_browser.page_readings): one unit per shard, so the worker that reads a shard also checks it.
PAGE_SHARD = re.compile(
    r"tests/test_browser\.py::test_(every_page_loads_clean_in_chromium|no_page_scrolls_sideways_on_a_phone)\[(\d+)\]"
)
STALENESS = "tests/test_fingerprint.py::test_committed_notebook"


def work_unit(nodeid: str) -> str:
    shard = PAGE_SHARD.fullmatch(nodeid)
    if shard:
        return f"tests/test_browser.py::pages[{shard[2]}]"
    return nodeid if nodeid.startswith(OWN_UNIT) else nodeid.split("::", 1)[0]


@pytest.hookimpl(optionalhook=True)  # the suite also runs without xdist (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class BookScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return BookScheduling(config, log)


def pytest_collection_modifyitems(session, config, items):
    """Run the staleness check first: a notebook whose inputs changed fails in a second, with what changed,
    instead of after minutes of nbval re-execution. Then the longest units, so that no long one starts last
    while the other worker sits idle: notebooks largest first (their size on disk is a fair stand-in for their
    run time), then the browser tests, then the rest in collection order. xdist hands out units in this order."""

    def rank(item) -> tuple:
        if item.nodeid.startswith(STALENESS):
            return (0, 0)
        if item.nodeid.startswith("notebooks/"):
            return (1, -item.path.stat().st_size)
        if item.nodeid.startswith("tests/test_browser"):
            return (2, 0)
        return (3, 0)

    items.sort(key=rank)  # stable: within a unit, collection order


# What to do when nbval finds a notebook whose outputs no longer match its code and data: said with the failure
# itself and once more at the end of the run, naming each such notebook.
REEXECUTE = "re-execute it: python3 tasks.py build (or python3 tasks.py build --force)"


def failed_notebook(nodeid: str) -> str | None:
    """``notebooks/<name>.ipynb`` if ``nodeid`` is one of nbval's cells of a chapter notebook, else None."""
    path = PurePosixPath(nodeid.split("::", 1)[0])
    return str(path) if path.parent.name == "notebooks" and path.suffix == ".ipynb" else None


def reexecute_hint(notebook: str) -> str:
    return f"{notebook} no longer gives its committed outputs: {REEXECUTE}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    notebook = failed_notebook(report.nodeid)
    if report.failed and notebook is not None:
        report.sections.append(("how to fix", reexecute_hint(notebook)))
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    failed = sorted({failed_notebook(r.nodeid) for r in terminalreporter.stats.get("failed", [])} - {None})
    if failed:
        terminalreporter.section("notebooks to re-execute")
        for notebook in failed:
            terminalreporter.write_line(reexecute_hint(notebook))
