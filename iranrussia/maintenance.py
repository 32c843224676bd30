"""Maintenance commands behind tasks.py, run inside the book's virtual environment.

python -m iranrussia.maintenance build [OUTPUT_ROOT]   # strict, fresh, offline book build
python -m iranrussia.maintenance execute [NB ...]      # re-execute notebooks in place
python -m iranrussia.maintenance rehash [TABLE ...]    # refresh sha256 in data manifests
python -m iranrussia.maintenance normalise [--check] [NB ...]  # one metadata form for every notebook
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

from .data import refresh_manifest_sha256, table_names
from .files import atomic_write_text
from .paths import DATA_DIR, NOTEBOOKS_DIR, REPO_ROOT

NOTEBOOK_TIMEOUT_S = 300


def build_book(output_root: Path = REPO_ROOT) -> Path:
    """Build the whole book from scratch with warnings as errors; return the HTML folder.

    ``--all`` rebuilds every page: an incremental Sphinx build re-reports warnings only for changed pages,
    which would let a warning slip through on an unchanged one.
    """
    output_root = Path(output_root)
    html = output_root / "_build" / "html"
    started = time.monotonic()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "jupyter-book"),
            "build",
            str(REPO_ROOT),
            "--path-output",
            str(output_root),
            "--all",
            "-W",
            "-n",
            "--keep-going",
        ],
        check=True,
        cwd=REPO_ROOT,
    )
    print(f"[build] book built in {time.monotonic() - started:.1f} s: {html / 'index.html'}")
    return html


#: Every notebook declares the same kernel, the one nbval and ``execute`` run.
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
# Metadata the book uses: notebook level (the kernel, and the language the kernel reported) and cell level
# (tags that hide input or cells, and MyST-NB's figure captions, names and alt text). Everything else is an
# authoring tool's (jupytext's lines_to_next_cell, per-cell execution timestamps, collapsed/scrolled state)
# and would show in diffs without meaning anything.
_NOTEBOOK_METADATA = {"kernelspec", "language_info"}
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


def execute_notebooks(paths: list[Path]) -> None:
    """Run each notebook top to bottom in a fresh kernel, saving its outputs in place."""
    for path in paths:
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
        )
        client.execute()
        atomic_write_text(path, notebook_text(notebook))
        shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
        print(f"[execute] {shown} in {time.monotonic() - started:.1f} s")


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
        build_book(Path(rest[0]).resolve() if rest else REPO_ROOT)
    elif command == "execute":
        paths = [Path(p).resolve() for p in rest] or sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
        execute_notebooks(paths)
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
