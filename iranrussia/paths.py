"""Where the book's files live, resolved from this package's location (never from the working directory)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
BIBLIOGRAPHY = REPO_ROOT / "references.bib"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
STYLE_FILE = Path(__file__).resolve().parent / "book.mplstyle"
