"""What a notebook's committed outputs were computed from, and whether that has changed since.

When a notebook is executed (``tasks.py build`` or ``tasks.py execute``) its kernel records every file it
reads through the book's own readers: each table and its manifest (:func:`iranrussia.data.load`), the list of
tables (:func:`iranrussia.data.table_names`). Those reads, the notebook's code cells, every file of this package,
``references.bib`` and ``requirements.txt`` make the notebook's *fingerprint*, stored in its metadata under
``"book"``. A notebook is stale when anything in its fingerprint differs from the files as they are now.

Reads are recorded as they happen, not guessed from the notebook's source: a table read by a helper or under a
computed name still counts. The kernel writes them to the file named by the ``IRANRUSSIA_READS`` environment
variable, one JSON line per read, which the executor turns into the fingerprint.

Standard library only: ``tasks.py`` imports this file directly (before any virtual environment exists) to
decide in a few milliseconds whether the book needs any work.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
READS_ENV = "IRANRUSSIA_READS"
METADATA_KEY = "book"
#: Files every notebook depends on whatever it reads: the bibliography (citations on every page) and the
#: pinned packages (a new pandas or matplotlib may change any output).
ALWAYS = ("references.bib", "requirements.txt")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _relative(path: Path | str, root: Path) -> str:
    path = Path(path).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


_suspended = 0  # > 0 while a read is not to be recorded (see unrecorded)


@contextlib.contextmanager
def unrecorded():
    """Reads inside this block are not recorded: for a reader that records a narrower dependency itself
    (:func:`note_columns`)."""
    global _suspended
    _suspended += 1
    try:
        yield
    finally:
        _suspended -= 1


def _recording() -> str | None:
    return os.environ.get(READS_ENV) if not _suspended else None


def note_read(path: Path | str, data: bytes) -> None:
    """Record that the running notebook read ``data`` from ``path`` (does nothing outside a recorded run)."""
    log = _recording()
    if log:
        _append(log, {"path": _relative(path, REPO_ROOT), "sha256": sha256(data)})


def note_columns(path: Path | str, columns: list[str]) -> None:
    """Record that the running notebook depends only on the cells of ``columns`` of the CSV at ``path`` (and on
    its rows' order and number): a check that a row reference still finds its rows reads no other cell."""
    log = _recording()
    if log:
        key = f"{_relative(path, REPO_ROOT)}#{','.join(sorted(set(columns)))}"
        _append(log, {"path": key, "sha256": columns_digest(Path(path), sorted(set(columns)))})


def columns_digest(path: Path, columns: list[str]) -> str | None:
    """A digest of the cells of ``columns`` in the CSV at ``path``, row by row (``None`` if the file or a
    column is gone)."""
    if not path.is_file():
        return None
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        if not set(columns) <= set(header):
            return None
        at = [header.index(c) for c in columns]
        cells = [[row[i] if i < len(row) else "" for i in at] for row in rows]
    return sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8"))


def note_listing(folder: Path | str, pattern: str, names: list[str]) -> None:
    """Record that the running notebook listed ``folder`` (files matching ``pattern``) and found ``names``."""
    log = _recording()
    if log:
        key = f"{_relative(folder, REPO_ROOT)}/{pattern}"
        _append(log, {"path": key, "sha256": _listing_digest(names)})


def _listing_digest(names: list[str]) -> str:
    return sha256("\n".join(sorted(names)).encode("utf-8"))


def _append(log: str, record: dict) -> None:
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")


def recorded_reads(log: Path) -> dict[str, str]:
    """The reads a kernel recorded, path -> sha256. A file read twice with two contents is an error: the
    notebook changed a file while it ran, and no fingerprint could say which version its outputs reflect."""
    reads: dict[str, str] = {}
    if not log.exists():
        return reads
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        earlier = reads.setdefault(record["path"], record["sha256"])
        if earlier != record["sha256"]:
            raise RuntimeError(f"{record['path']} changed while the notebook ran: execute it again")
    return dict(sorted(reads.items()))


def code_digest(notebook: dict) -> str:
    """A digest of the notebook's code cells, in order (markdown cells do not change any output)."""
    cells = [_source(c) for c in notebook.get("cells", []) if c.get("cell_type") == "code"]
    return sha256(json.dumps(cells).encode("utf-8"))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


#: Package files no notebook imports: the executor and build commands, the benchmark (they change how a
#: notebook is run and saved, never what it computes) and the data package the build ships beside the HTML.
NOT_IMPORTED_BY_NOTEBOOKS = (
    "iranrussia/maintenance.py",
    "iranrussia/preloaded_kernels.py",
    "iranrussia/bench.py",
    "iranrussia/datapackage.py",
    "iranrussia/citation.py",
)


def package_digests(root: Path = REPO_ROOT) -> dict[str, str]:
    """Every file of the shared package (code and style sheet) that notebooks use, path -> sha256."""
    package = root / "iranrussia"
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    digests = {_relative(p, root): sha256(p.read_bytes()) for p in files}
    return {path: digest for path, digest in digests.items() if path not in NOT_IMPORTED_BY_NOTEBOOKS}


def file_digest(path: str, root: Path = REPO_ROOT) -> str | None:
    """The sha256 of a recorded input as it is now (``None`` if it no longer exists)."""
    if "#" in path:  # some columns of a table (note_columns)
        file, columns = path.rsplit("#", 1)
        return columns_digest(root / file, columns.split(","))
    if "*" in path.rsplit("/", 1)[-1]:  # a listing (note_listing)
        folder, pattern = path.rsplit("/", 1)
        return _listing_digest([p.name for p in (root / folder).glob(pattern)])
    file = root / path
    return sha256(file.read_bytes()) if file.is_file() else None


def fingerprint(notebook: dict, reads: dict[str, str], root: Path = REPO_ROOT) -> dict:
    """The fingerprint of ``notebook`` executed now, having made ``reads``."""
    always = {name: file_digest(name, root) for name in ALWAYS}
    return {"code": code_digest(notebook), "package": package_digests(root), "reads": {**always, **reads}}


def changes(notebook: dict, root: Path = REPO_ROOT) -> list[str]:
    """What changed since ``notebook`` was executed, in words; empty if its outputs are up to date."""
    recorded = notebook.get("metadata", {}).get(METADATA_KEY, {}).get("fingerprint")
    if not recorded:
        return ["no fingerprint: never executed by tasks.py"]
    found = []
    if recorded.get("code") != code_digest(notebook):
        found.append("its code cells")
    now = package_digests(root)
    was = recorded.get("package", {})
    found += [f"{path} (package)" for path in sorted(set(now) | set(was)) if now.get(path) != was.get(path)]
    for path, digest in recorded.get("reads", {}).items():
        current = file_digest(path, root)
        if current != digest:
            found.append(f"{path} ({'gone' if current is None else 'changed'})")
    return found


def stale(paths: list[Path]) -> dict[Path, list[str]]:
    """The notebooks among ``paths`` whose outputs are out of date, with what changed since they ran."""
    found = {}
    for path in paths:
        changed = changes(read_notebook(path))
        if changed:
            found[path] = changed
    return found


#: What the rendered HTML is made from: the book's pages and configuration, its local Sphinx extensions and
#: static files, the bibliography, the pinned packages (Jupyter Book, Sphinx, the theme) and the code that
#: runs the build. Data tables reach the pages only through the notebooks' outputs, but the build also ships
#: them as downloads (_ext/data_downloads.py): the tables, their manifests, the licence files and the
#: package code that describes them as a data package.
RENDER_INPUTS = (
    "_config.yml",
    "_toc.yml",
    "*.md",
    "references.bib",
    "requirements.txt",
    "notebooks/*.ipynb",
    "_ext/*",
    "_static/*",
    "iranrussia/maintenance.py",
    "data/*.csv",
    "data/*.yml",
    "LICENSE*",
    "CITATION.cff",
    "iranrussia/datapackage.py",
    "iranrussia/citation.py",  # the book's title and authors, on the Cite page and in the package
    "iranrussia/data.py",  # the manifest reader the descriptor is built with
    "iranrussia/bibliography.py",  # the cited sources of each resource
)
NOT_RENDERED = ("README.md",)  # matched by a pattern above, but excluded from the book (_config.yml)
RENDER_STAMP = "_build/render-inputs.json"  # beside _build/html, written after each strict build that passed
# The pages an incremental render must re-read (a JSON list of docnames), from tasks.py to _ext/reread_pages.py.
REREAD_VARIABLE = "IRANRUSSIA_REREAD_DOCS"


def render_inputs(root: Path = REPO_ROOT) -> dict[str, str]:
    """Every input of the rendered HTML, path -> sha256."""
    files = sorted({p for pattern in RENDER_INPUTS for p in root.glob(pattern) if p.is_file()})
    digests = {_relative(p, root): sha256(p.read_bytes()) for p in files}
    return {path: digest for path, digest in digests.items() if path not in NOT_RENDERED}


def render_changes(output_root: Path, root: Path = REPO_ROOT) -> list[str]:
    """The inputs of the HTML that changed since the last strict build into ``output_root`` passed."""
    stamp = Path(output_root) / RENDER_STAMP
    if not (Path(output_root) / "_build" / "html" / "index.html").is_file() or not stamp.is_file():
        return ["no finished build"]
    was, now = json.loads(stamp.read_text(encoding="utf-8")), render_inputs(root)
    return [path for path in sorted(set(was) | set(now)) if was.get(path) != now.get(path)]


def read_notebook(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
