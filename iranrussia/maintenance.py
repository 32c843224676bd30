"""Maintenance commands behind tasks.py, run inside the book's virtual environment.

python -m iranrussia.maintenance build [--force]       # re-execute stale notebooks, then render strictly
python -m iranrussia.maintenance render [OUTPUT_ROOT]  # strict, fresh, offline render of the HTML only
python -m iranrussia.maintenance execute [NB ...]      # re-execute notebooks in place (one per core)
python -m iranrussia.maintenance rehash [TABLE ...]    # refresh sha256 in data manifests
python -m iranrussia.maintenance normalise [--check] [NB ...]  # one metadata form for every notebook
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import json
import logging
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import nbformat
import yaml
from nbclient import NotebookClient

from . import fingerprint, preloaded_kernels
from .data import refresh_manifest_sha256, table_names
from .files import atomic_write_text
from .paths import DATA_DIR, NOTEBOOKS_DIR, REPO_ROOT

NOTEBOOK_TIMEOUT_S = 300


def build_book(
    output_root: Path = REPO_ROOT,
    jobs: int | None = None,
    *,
    source_root: Path = REPO_ROOT,
    reread: list[str] | None = None,
) -> Path:
    """Render the book in ``source_root`` strictly (warnings are errors), ``jobs`` processes at a time (default:
    one per core); return the HTML folder.

    With ``reread`` None, every page is read afresh. Otherwise the environment of the last build into
    ``output_root`` is reused, only the pages named in ``reread`` are read again, and every page is written
    again: only call it so when :func:`incremental_rereads` allows it (see there why that is still strict).
    Sphinx runs in its own process (it changes docutils' global state) and prints its warnings as it finds
    them, among some sixty lines of progress; a failed build ends with the warnings again, alone, then what to
    do: never a traceback.
    """
    return Render(output_root, jobs, source_root=source_root, reread=reread).finish()


#: Kernels are forked from one process with the libraries imported (preloaded_kernels.py) where the system allows;
#: set IRANRUSSIA_FRESH_KERNELS=1 to start each as a new Python instead (to compare, or to rule it out).
PRELOAD = preloaded_kernels.SUPPORTED and not os.environ.get("IRANRUSSIA_FRESH_KERNELS")

#: The folder through which a build tells the render it started beside the execution of the stale notebooks
#: which of them are done (_ext/read_when_executed.py): file ``waiting`` names the pages to wait for, one per
#: line, and each executed and saved notebook gets a marker file (:func:`executed_marker`); ``failed`` stops it.
EXECUTION_GATE_VARIABLE = "IRANRUSSIA_EXECUTION_GATE"


def executed_marker(docname: str) -> str:
    """The name of the gate folder's file that says the notebook of page ``docname`` is executed and saved."""
    return "executed-" + docname.replace("/", "--")


class Render:
    """One strict render of the book (see :func:`build_book`), running in its own process from the moment it is
    made; :meth:`finish` waits for it. With ``gate`` (a folder; see :data:`EXECUTION_GATE_VARIABLE`) Sphinx
    starts up and reads every page it need not wait for while the notebooks named in the gate's ``waiting``
    file are still being executed, and reads each of those once its marker appears."""

    def __init__(
        self,
        output_root: Path = REPO_ROOT,
        jobs: int | None = None,
        *,
        source_root: Path = REPO_ROOT,
        reread: list[str] | None = None,
        gate: Path | None = None,
    ):
        self.output_root, self.reread, self.gate = Path(output_root), reread, gate
        self.jobs = jobs or os.cpu_count() or 1
        self.started = self.last_saved = time.monotonic()
        command = [sys.executable, "-m", "iranrussia.maintenance", "sphinx", str(self.output_root), str(self.jobs)]
        command.append(str(source_root))
        env = dict(os.environ)
        env.pop(fingerprint.REREAD_VARIABLE, None)
        env.pop(EXECUTION_GATE_VARIABLE, None)
        if reread is not None:
            command.append("--reuse-environment")
            env[fingerprint.REREAD_VARIABLE] = json.dumps(reread)
        if gate is not None:
            env[EXECUTION_GATE_VARIABLE] = str(gate)
        self.process, self.warnings, self._reader = _start_keeping_stderr(command, env)

    def finish(self) -> Path:
        """Wait for the render; return the HTML folder, or exit with its warnings if it failed."""
        returncode = self.process.wait()
        self._reader.join()
        if returncode != 0:
            raise SystemExit(build_failure(self.warnings))
        html = self.output_root / "_build" / "html"
        reread = ", ".join(self.reread or []) or "no page"
        how = "every page read" if self.reread is None else f"re-read {reread}, every page written"
        now = time.monotonic()
        took = f"{now - self.started:.1f} s"
        if self.gate is not None:  # it started with the execution: what counts is how long it took after it
            took = f"{now - self.last_saved:.1f} s after the last notebook was saved ({took} in all)"
            how += "; started beside the execution, each notebook read once saved"
        else:
            took = f"in {took}"
        print(f"[build] book rendered {took} ({self.jobs} processes; {how}): {html / 'index.html'}")
        return html

    def saved(self, docname: str) -> None:
        """Tell the render that the notebook of page ``docname`` is executed and saved."""
        (self.gate / executed_marker(docname)).touch()
        self.last_saved = time.monotonic()

    def stop(self) -> None:
        """Stop the render (an execution failed: its HTML could not be complete)."""
        if self.gate is not None:
            (self.gate / "failed").touch()
        self.process.terminate()
        self.process.wait()
        self._reader.join()


# Inputs of the HTML that reach it only through the pages' own sources: a table's data shows on a page through
# the outputs of the notebooks that read it (re-executed first, when stale), and its downloads are written
# afresh after every build (_ext/data_downloads.py).
DATA_ONLY_INPUTS = ("data/*.csv", "data/*.yml")
ENVIRONMENT = Path("_build") / ".doctrees" / "environment.pickle"


def book_pages(root: Path = REPO_ROOT) -> dict[str, str]:
    """Source file (relative path) -> docname, for every page of the table of contents."""
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))
    docnames, stack = [toc["root"]], [toc]
    while stack:
        node = stack.pop()
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key) or ():
                stack.append(child)
                if "file" in child:
                    docnames.append(child["file"])
    found = {}
    for docname in docnames:
        for suffix in (".ipynb", ".md"):
            if (Path(root) / f"{docname}{suffix}").is_file():
                found[f"{docname}{suffix}"] = docname
    return found


def incremental_rereads(changes: list[str], output_root: Path, root: Path = REPO_ROOT) -> list[str] | None:
    """The pages to re-read if the render may reuse the last build's environment, else None (read every page).

    Reuse is allowed only when the last strict build passed (its stamp is there, see fingerprint.render_changes)
    and every input that changed since is a page's own source or a data table. Such a build is as strict as a
    fresh one: a page whose source is unchanged, read with the unchanged configuration, extensions, styles and
    bibliography, gives the warnings it gave last time, which were none (the build was strict); the changed
    pages are read again, warnings and all; and every page is resolved and written again, so a warning that
    depends on another page (a reference to a label that is gone, a citation, cross-page glue) is found
    wherever it is. Any other change (configuration, table of contents, extensions, bibliography, the
    package's code) reads every page.
    """
    if changes == ["no finished build"] or not (Path(output_root) / ENVIRONMENT).is_file():
        return None
    pages = book_pages(root)
    reread = []
    for path in changes:
        if path in pages:
            reread.append(pages[path])
        elif not any(PurePosixPath(path).match(pattern) for pattern in DATA_ONLY_INPUTS):
            return None
    return sorted(reread)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _start_keeping_stderr(command: list[str], env: dict | None = None):
    """Start ``command`` in the repository, its output shown as it comes; return the process, the list that
    collects the lines it writes to stderr (where Sphinx writes its warnings and errors, and nothing else),
    without colour codes, and the thread that collects them (done once the process has ended)."""
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, text=True, errors="replace")
    kept: list[str] = []

    def keep() -> None:
        for line in process.stderr:
            sys.stderr.write(line)
            sys.stderr.flush()
            if line.strip():
                kept.append(_ANSI.sub("", line.rstrip("\n")))

    reader = threading.Thread(target=keep, daemon=True)
    reader.start()
    return process, kept, reader


def _run_keeping_stderr(command: list[str], env: dict | None = None) -> tuple[int, list[str]]:
    """Run ``command`` as :func:`_start_keeping_stderr` starts it; return its exit code and its stderr lines."""
    process, kept, reader = _start_keeping_stderr(command, env)
    returncode = process.wait()
    reader.join()
    return returncode, kept


# MyST-NB gives a notebook warning's place as one number: 10,000 times the cell's place counted from 1, plus the
# line in the cell counted from 1 (nb_to_tokens: (index + 1) * 10000 + 1 + the line's offset).
_NOTEBOOK_LINE = re.compile(r"(\.ipynb):(\d+):")


def _cell_located(line: str) -> str:
    """A warning line with a notebook place ``x.ipynb:90002:`` also given as ``(9th cell, line 2)``."""
    found = _NOTEBOOK_LINE.search(line)
    if found is None or int(found[2]) < 10_000:
        return line
    cell, within = divmod(int(found[2]), 10_000)
    return f"{line} ({_ordinal(cell)} cell, line {within})"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def build_failure(warnings: list[str]) -> str:
    """The closing message of a failed strict build: its warnings, repeated after Sphinx's progress lines, then
    what to do."""
    if not warnings:
        return "[build] the strict build failed (no warning was printed; see the output above); the HTML is incomplete"
    shown = "\n".join(f"  {_cell_located(line)}" for line in warnings)
    count = sum("WARNING" in line or "ERROR" in line for line in warnings) or len(warnings)
    return (
        f"[build] the strict build failed: {count} warning{'s' if count != 1 else ''} (warnings are errors here):\n"
        f"{shown}\n[build] fix them and build again; the HTML is incomplete"
    )


def _sphinx(output_root: Path, jobs: int, source_root: Path = REPO_ROOT, reuse_environment: bool = False) -> int:
    """What ``jupyter-book build --all -W -n --keep-going --path-output OUTPUT_ROOT`` runs, with ``jobs``
    processes (the command line has no such option). With ``reuse_environment``, the environment of the last
    build is kept and every page is written (``-a`` without ``-E``); _ext/reread_pages.py says what to re-read."""
    from jupyter_book.sphinx import build_sphinx

    overrides = {"external_toc_path": (source_root / "_toc.yml").as_posix(), "latex_individualpages": False}
    return build_sphinx(
        source_root,
        output_root / "_build" / "html",
        noconfig=True,
        path_config=str(source_root / "_config.yml"),
        confoverrides={**overrides, "nitpicky": True},
        builder="html",
        freshenv=not reuse_environment,
        force_all=reuse_environment,
        warningiserror=True,
        keep_going=True,
        jobs=jobs,
    )


def update_book(*, force: bool = False, jobs: int | None = None, output_root: Path = REPO_ROOT) -> None:
    """Bring the book up to date: re-execute the stale notebooks (every one with ``force``), ``jobs`` at a time
    (default: one per core), and render strictly unless no input of the HTML changed since the last build.

    When notebooks are stale the render starts at once, beside their execution: Sphinx starts up and reads the
    other pages meanwhile, and reads each executed notebook as soon as it is saved (_ext/read_when_executed.py),
    so that only the last notebook's page, and what follows the reading, wait for the last execution."""
    notebooks = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    stale = {path: ["--force"] for path in notebooks} if force else fingerprint.stale(notebooks)
    for path, changed in stale.items():
        print(f"[build] {path.relative_to(REPO_ROOT)} is stale: {'; '.join(changed)}", flush=True)
    output_root = Path(output_root)
    changed = fingerprint.render_changes(output_root)
    pages = book_pages()
    sources = {path: path.relative_to(REPO_ROOT).as_posix() for path in stale}
    # The book's pages among the stale notebooks (a notebook left out of the table of contents is executed only).
    docnames = {path: pages[source] for path, source in sources.items() if source in pages}
    if not stale and not changed and not force:
        print(f"[build] up to date: no notebook is stale and no input of {output_root / '_build' / 'html'} changed")
        return
    # A stale notebook's file changes when it is executed (its fingerprint, if nothing else): its page is read
    # again, and the other changes decide, as after any edit, whether the rest may be reused.
    reread = None if force else incremental_rereads(sorted({*changed, *map(sources.get, docnames)}), output_root)
    stamp = output_root / fingerprint.RENDER_STAMP
    stamp.unlink(missing_ok=True)  # a failed build leaves HTML that no stamp may vouch for
    if not stale:
        inputs = fingerprint.render_inputs()  # before the render: an edit made while it runs shows next time
        build_book(output_root, reread=reread)
    else:
        with tempfile.TemporaryDirectory(prefix="execution-gate-") as folder:
            gate = Path(folder)
            (gate / "waiting").write_text("\n".join(docnames.values()) + "\n", encoding="utf-8")
            render = Render(output_root, reread=reread, gate=gate)
            try:
                execute_notebooks(
                    list(stale),
                    jobs=jobs or os.cpu_count() or 1,
                    on_saved=lambda path: path in docnames and render.saved(docnames[path]),
                )
            except BaseException:
                render.stop()
                raise
            inputs = fingerprint.render_inputs()  # every notebook saved; any later edit shows next time
            render.finish()
    atomic_write_text(stamp, json.dumps(inputs, indent=1, sort_keys=True) + "\n")


#: Every notebook declares the same kernel, the one nbval and ``execute`` run.
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
# Metadata the book uses: notebook level (the kernel, the language the kernel reported, and the fingerprint of
# what the outputs were computed from, see iranrussia.fingerprint) and cell level
# (tags that hide input or cells, and MyST-NB's figure captions, names and alt text). Everything else is an
# authoring tool's (jupytext's lines_to_next_cell, per-cell execution timestamps, collapsed/scrolled state)
# and would show in diffs without meaning anything.
_NOTEBOOK_METADATA = {"kernelspec", "language_info", fingerprint.METADATA_KEY}
_CELL_METADATA = {"tags", "mystnb"}


def normalise(notebook: nbformat.NotebookNode) -> bool:
    """Give ``notebook`` the book's one metadata form, in place (outputs untouched); True if anything changed."""
    before = nbformat.writes(notebook)
    for key in set(notebook.metadata) - _NOTEBOOK_METADATA:
        del notebook.metadata[key]
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in notebook.cells:
        for key in set(cell.metadata) - _CELL_METADATA:
            del cell.metadata[key]
    return nbformat.writes(notebook) != before


def normalise_notebooks(paths: list[Path], *, check: bool = False) -> list[Path]:
    """Normalise each notebook's metadata in place (or with ``check`` only list those that need it)."""
    changed = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        if normalise(notebook):
            changed.append(path)
            if not check:
                atomic_write_text(path, notebook_text(notebook))
    return changed


def execute_notebook(path: Path, kernels: str | None = None) -> float:
    """Run one notebook top to bottom in a fresh kernel, recording what it reads; save its outputs and its
    fingerprint in place. Returns the seconds it took. With ``kernels`` (the socket of a
    :class:`~iranrussia.preloaded_kernels.PreloadedKernels`), the kernel is forked from the process that has
    the notebooks' libraries imported already, instead of starting as a new Python."""
    started = time.monotonic()
    notebook = nbformat.read(path, as_version=4)
    # One metadata form (no authoring-tool leftovers, no per-cell timestamps): rerunning an unchanged
    # notebook should leave git with nothing to show.
    normalise(notebook)
    client = NotebookClient(
        notebook,
        timeout=NOTEBOOK_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
        # Every output has arrived once the last cell's reply has, and reads are logged as they happen (the
        # log is closed after each line): a graceful shutdown would only wait about 0.7 s a notebook for the
        # kernel's exit handlers, which hold nothing the book keeps.
        shutdown_kernel="immediate",
    )
    with tempfile.TemporaryDirectory(prefix="reads-") as folder:
        log = Path(folder) / "reads.jsonl"
        # The kernel talks to this process over local sockets in the folder, not TCP ports: nothing else on
        # the machine can reach it, and ipykernel has no reason to warn about unencrypted TCP.
        client.km = client.kernel_manager_class(
            kernel_name=client.kernel_name, transport="ipc", ip=str(Path(folder) / "kernel")
        )
        if kernels is not None:
            client.km.provisioner = preloaded_kernels.provisioner(client.km, kernels)
        client.execute(env={**os.environ, fingerprint.READS_ENV: str(log)})
        reads = fingerprint.recorded_reads(log)
    notebook.metadata[fingerprint.METADATA_KEY] = {"fingerprint": fingerprint.fingerprint(notebook, reads)}
    atomic_write_text(path, notebook_text(notebook))
    return time.monotonic() - started


def execute_notebooks(paths: list[Path], jobs: int = 1, on_saved: Callable[[Path], object] | None = None) -> None:
    """Execute each notebook (:func:`execute_notebook`), ``jobs`` at a time, each in its own process; call
    ``on_saved`` with each notebook's path (as given) once it is executed and saved."""
    paths = [Path(p) for p in paths]
    jobs = max(1, min(jobs, len(paths)))
    say = functools.partial(print, flush=True)
    with contextlib.ExitStack() as stack:
        # One process imports the notebooks' libraries once and forks every kernel (preloaded_kernels.py).
        kernels = None
        if PRELOAD:
            try:
                kernels = stack.enter_context(preloaded_kernels.PreloadedKernels()).socket_path
            except (OSError, RuntimeError) as err:  # e.g. a socket path too long for this system
                say(f"[execute] no preloaded kernels ({err}): each notebook's kernel starts afresh")
        if jobs == 1:
            finished = ((path, execute_notebook(path, kernels)) for path in paths)
        else:
            pool = concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"))
            stack.callback(pool.shutdown, cancel_futures=True)
            # Longest first, so that no long notebook starts last while the other workers sit idle; a notebook's
            # size on disk (code, prose and outputs) is a fair stand-in for its run time, and deterministic.
            longest_first = sorted(paths, key=lambda path: path.stat().st_size, reverse=True)
            futures = {pool.submit(execute_notebook, path, kernels): path for path in longest_first}
            finished = ((futures[f], f.result()) for f in concurrent.futures.as_completed(futures))
        for done, (path, seconds) in enumerate(finished, start=1):
            if on_saved is not None:
                on_saved(path)
            shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
            say(f"[execute] {shown} in {seconds:.1f} s")
            say(f"[execute] {done} of {len(paths)} notebooks done")


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The notebook as ``nbformat.write`` saves it (it adds a final newline), for writing it atomically:
    a kernel crash, a full disk or a kill while saving must leave the committed notebook whole."""
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def rehash(names: list[str]) -> None:
    """Write each table's current sha256 into its manifest, changing only that line (or adding it after ``path:``)."""
    for name in names:
        # Read the manifest loosely: rehash must work on a manifest whose hash is missing or still a placeholder.
        manifest_path = DATA_DIR / f"{name}.yml"
        if not manifest_path.is_file():
            raise ValueError(f"{manifest_path}: no such manifest (known: {', '.join(table_names(DATA_DIR)) or 'none'})")
        raw = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str) or not raw["path"].strip():
            raise ValueError(
                f"{manifest_path}: no top-level 'path:' naming the table's file, so there is nothing "
                "to hash (and no line to put 'sha256:' after)"
            )
        print(f"[rehash] {name}: {refresh_manifest_sha256(DATA_DIR / raw['path'], manifest_path)}")


def main(argv: list[str]) -> None:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "build":
        update_book(force="--force" in rest)
    elif command == "render":
        build_book(Path(rest[0]).resolve() if rest else REPO_ROOT)
    elif command == "sphinx":  # build_book's worker process
        returncode = _sphinx(Path(rest[0]), int(rest[1]), Path(rest[2]), rest[3:] == ["--reuse-environment"])
        # Sphinx has written every file and closed it when it returns; a normal interpreter exit then spends
        # about 2 s tearing down the build's objects (measured), a tenth of the render, for nothing.
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(returncode)
    elif command == "execute":
        paths = [Path(p).resolve() for p in rest] or sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
        execute_notebooks(paths, jobs=os.cpu_count() or 1)
    elif command == "rehash":
        try:
            rehash(rest or table_names(DATA_DIR))
        except (ValueError, OSError, yaml.YAMLError) as err:  # a manifest to fix by hand: say which and why
            raise SystemExit(f"[rehash] {err}") from None
    elif command == "normalise":
        check = "--check" in rest
        paths = [Path(p).resolve() for p in rest if p != "--check"] or sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
        changed = normalise_notebooks(paths, check=check)
        for path in changed:
            print(
                f"[normalise] {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}: "
                + ("metadata not in the book's form (run `python3 tasks.py lint --fix`)" if check else "normalised")
            )
        if check and changed:
            raise SystemExit(1)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
