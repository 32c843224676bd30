"""The kernels ``tasks.py build`` forks from one process that has the notebooks' libraries imported
(iranrussia/preloaded_kernels.py): to a notebook they are the kernels it would get started afresh, and they go
when the build stops them."""

from __future__ import annotations

import json
import os
import tempfile
import time

import nbformat
import pytest
from nbclient import NotebookClient

from iranrussia import preloaded_kernels
from iranrussia.paths import NOTEBOOKS_DIR

pytestmark = pytest.mark.skipif(not preloaded_kernels.SUPPORTED, reason="forked kernels need Linux")

# What a notebook could see of how its kernel was started: the libraries' settings (pandas chooses display
# defaults and matplotlib its backend when they are imported), the interpreter's arguments, path, working
# directory and environment. Values that name this very process (its pid) are left out.
PROBE = r"""
import json, os, sys
import matplotlib
import pandas as pd
from pandas.io.formats import console

seen = {
    "pandas options": {k: repr(pd.get_option(k)) for k in pd._config.config._registered_options},
    "pandas console": [console.in_interactive_session(), console.in_ipython_frontend(), console.get_console_size()],
    "matplotlib backend": matplotlib.get_backend(),
    "matplotlib rcParams": {k: repr(v) for k, v in matplotlib.rcParams.items()},
    "argv": sys.argv[:1],
    "path": sys.path,
    "cwd": os.getcwd(),
    "environment": sorted(os.environ),
    "stdout encoding": sys.stdout.encoding,
    "main module": [__name__, hasattr(sys.modules["__main__"], "__file__")],
    "kernel pid": os.getpid(),
}
print(json.dumps(seen, default=str))
"""


def run(code: str, socket_path: str | None, *more_cells: str, **options) -> dict:
    """Run a notebook of ``code`` (and ``more_cells``) in a fresh or a forked kernel; the JSON its first cell
    printed, or the notebook itself when it has more cells."""
    cells = [nbformat.v4.new_code_cell(source) for source in (code, *more_cells)]
    notebook = nbformat.v4.new_notebook(cells=cells)
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(
            notebook,
            kernel_name="python3",
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
            **options,
        )
        client.km = client.kernel_manager_class(kernel_name="python3", transport="ipc", ip=f"{folder}/kernel")
        if socket_path is not None:
            client.km.provisioner = preloaded_kernels.provisioner(client.km, socket_path)
        client.execute(env={**os.environ, "BOOK_PROBE": "1"})
    return notebook if more_cells else json.loads(notebook.cells[0].outputs[0]["text"])


def gone(pid: int) -> bool:
    """No such process, or one that has exited and waits only to be reaped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.fixture(scope="module")
def zygote():
    with preloaded_kernels.PreloadedKernels() as kernels:
        yield kernels


def test_a_forked_kernel_looks_to_a_notebook_like_one_started_afresh(zygote):
    fresh, forked = run(PROBE, None), run(PROBE, zygote.socket_path)
    assert fresh.pop("kernel pid") != forked.pop("kernel pid")
    assert "BOOK_PROBE" in forked["environment"]  # the kernel has the environment the build gave it
    different = {key: (fresh[key], forked[key]) for key in fresh if fresh[key] != forked[key]}
    assert not different


def test_a_forked_kernel_is_a_new_process_each_time_and_is_gone_after_its_notebook(zygote):
    first, second = run(PROBE, zygote.socket_path), run(PROBE, zygote.socket_path)
    assert first["kernel pid"] != second["kernel pid"]
    deadline = time.monotonic() + 10
    while not (gone(first["kernel pid"]) and gone(second["kernel pid"])):
        assert time.monotonic() < deadline, "a forked kernel outlived its notebook"
        time.sleep(0.05)


def test_a_notebook_s_names_do_not_reach_the_next_kernel(zygote):
    run("left_behind = 1\nprint('{}')", zygote.socket_path)
    seen = run("import json\nprint(json.dumps({'left': 'left_behind' in dir()}))", zygote.socket_path)
    assert seen == {"left": False}


def test_an_interrupt_stops_the_running_cell_and_the_kernel_goes_on(zygote):
    """The kernel manager interrupts a cell that runs too long with SIGINT: as in a fresh kernel, the cell ends
    with KeyboardInterrupt and the kernel runs the next one."""
    options = dict(timeout=1, interrupt_on_timeout=True, allow_errors=True)
    notebook = run("import time\ntime.sleep(60)", zygote.socket_path, "print('still here')", **options)
    assert notebook.cells[0].outputs[-1]["ename"] == "KeyboardInterrupt"
    assert notebook.cells[1].outputs[0]["text"] == "still here\n"


def test_the_zygote_stops_and_its_socket_goes_with_the_build():
    with preloaded_kernels.PreloadedKernels() as kernels:
        process, path = kernels.process, kernels.socket_path
        assert os.path.exists(path) and process.poll() is None
    assert process.poll() is not None and not os.path.exists(path)


def test_without_a_zygote_the_build_starts_kernels_afresh_and_says_so(tmp_path, monkeypatch, capsys):
    from iranrussia import maintenance

    def cannot_start(self):
        raise RuntimeError("the kernel zygote did not start")

    monkeypatch.setattr(maintenance, "PRELOAD", True)
    monkeypatch.setattr(preloaded_kernels.PreloadedKernels, "__enter__", cannot_start)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "small.ipynb"
    nbformat.write(notebook, path)
    maintenance.execute_notebooks([path])
    assert "no preloaded kernels (the kernel zygote did not start)" in capsys.readouterr().out
    assert nbformat.read(path, as_version=4).cells[0].outputs[0]["text"] == "42\n"
