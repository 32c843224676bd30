"""Let ``tasks.py build`` start the render while the stale notebooks are still being executed.

Executing the stale notebooks and rendering the book used to run one after the other: the render's start-up
(imports, configuration, the bibliography's parse) and its reading of every page waited for the last notebook,
although only that notebook's page needs it. With the environment variable below set to a folder (see
:func:`iranrussia.maintenance.update_book`), Sphinx reads the pages that wait for no execution first, then
each waited-for notebook as soon as its execution is recorded as done in that folder, in the order they finish;
it stops with an error if the folder records a failed execution, or if the process that started it is gone.
Pages are then read one after another rather than in parallel (the parallel read hands its pages out to
workers before any of them is ready); everything after the read, including the parallel write and every
warning check, is unchanged, and the HTML is byte for byte the HTML of a render started after the execution.
Unset (every other build, Jupyter Book's own included), it changes nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from iranrussia.maintenance import EXECUTION_GATE_VARIABLE, executed_marker

POLL_SECONDS = 0.02


class _InReadinessOrder:
    """``docnames`` as Sphinx's serial read iterates them: those not waited for first, then each waited-for page
    once the gate folder marks its notebook executed."""

    def __init__(self, docnames: list[str], folder: Path, parent: int):
        self.docnames, self.folder, self.parent = list(docnames), folder, parent
        waited = set((folder / "waiting").read_text(encoding="utf-8").split())
        self.ready = [name for name in self.docnames if name not in waited]
        self.waiting = [name for name in self.docnames if name in waited]

    def __len__(self) -> int:
        return len(self.docnames)

    def __iter__(self):
        yield from self.ready
        waiting = list(self.waiting)
        while waiting:
            if (self.folder / "failed").exists():
                raise RuntimeError("a notebook's execution failed: the render stops without reading it")
            if os.getppid() != self.parent:
                raise RuntimeError("the build that started this render is gone: the render stops")
            done = [name for name in waiting if (self.folder / executed_marker(name)).exists()]
            if not done:
                time.sleep(POLL_SECONDS)
            for name in done:
                waiting.remove(name)
                yield name


def _read_when_executed(app) -> None:
    folder = os.environ.get(EXECUTION_GATE_VARIABLE)
    if not folder or not hasattr(app.builder, "_read_serial"):
        return
    builder, parent = app.builder, os.getppid()
    read_serial = builder._read_serial

    def read_in_readiness_order(docnames, nproc=None):
        read_serial(_InReadinessOrder(docnames, Path(folder), parent))

    builder._read_serial = read_in_readiness_order
    builder._read_parallel = read_in_readiness_order


def setup(app):
    app.connect("builder-inited", _read_when_executed)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
