#!/usr/bin/env python3
"""The book's task runner. Needs only Python 3.11 and the standard library; it creates everything else.

    python3 tasks.py build [--force]  # bring the book up to date in _build/html: re-execute the stale
                                      # notebooks (--force: all), then render strictly (creates .venv on first use)
    python3 tasks.py test             # run the whole test suite (what CI runs, after lint)
    python3 tasks.py lint [--fix]     # ruff lint and format check, notebook metadata check (--fix: apply them)
    python3 tasks.py execute [NB ...] # re-run notebooks in place (one per core), refreshing their outputs
    python3 tasks.py rehash [TABLE ...]  # refresh data manifests' sha256 after an intended data change
    python3 tasks.py bench            # time JB1's own build against this book's build and tests (minutes)

The virtual environment lives in .venv and is reinstalled whenever requirements.txt changes.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / "requirements.sha256"
CHROMIUM = Path("/usr/bin/chromium")
SUPPORTED_PYTHON = (3, 11)


def say(message: str) -> None:
    print(f"[tasks] {message}", flush=True)


def run(*args: str | os.PathLike, env: dict | None = None) -> None:
    say(" ".join(str(a) for a in args))
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create .venv from requirements.txt unless it already matches the file's hash."""
    if sys.version_info[:2] != SUPPORTED_PYTHON:
        sys.exit(
            f"[tasks] this book pins its packages for Python {'.'.join(map(str, SUPPORTED_PYTHON))}; "
            f"run tasks.py with python3.11 (this is {sys.version.split()[0]})"
        )
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if venv_python().exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return venv_python()
    if VENV.exists():
        say("requirements.txt changed: recreating .venv")
        shutil.rmtree(VENV)
    run(sys.executable, "-m", "venv", VENV)
    run(venv_python(), "-m", "pip", "install", "--quiet", "--requirement", REQUIREMENTS)
    # Make the repository's own packages (iranrussia, builders) importable in the venv and its kernels.
    purelib = subprocess.run(
        [str(venv_python()), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "iranrussia-book.pth").write_text(str(ROOT) + "\n")
    STAMP.write_text(wanted + "\n")
    return venv_python()


def ensure_chromium() -> None:
    """The browser test drives Debian's Chromium; install it if this machine lacks it and we may."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run("apt-get", "update", "--quiet", env=env)
        run("apt-get", "install", "--quiet", "--yes", "--no-install-recommends", "chromium", env=env)
        return
    sys.exit(
        "[tasks] the browser test needs Chromium at /usr/bin/chromium: install Debian's 'chromium' package "
        "(sudo apt-get install chromium) and run again"
    )


def fingerprint_module():
    """iranrussia/fingerprint.py, imported by its path: it needs only the standard library, so tasks.py can ask
    it what is stale without starting the virtual environment's Python (which takes longer than the answer)."""
    spec = importlib.util.spec_from_file_location("book_fingerprint", ROOT / "iranrussia" / "fingerprint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stale_notebooks(fingerprint) -> dict[str, list[str]]:
    stale = fingerprint.stale(sorted((ROOT / "notebooks").glob("*.ipynb")))
    return {path.relative_to(ROOT).as_posix(): changed for path, changed in stale.items()}


def book_is_up_to_date() -> bool:
    """True (and says so) if no notebook is stale and no input of the HTML changed since the last build."""
    started = time.monotonic()
    fingerprint = fingerprint_module()
    if stale_notebooks(fingerprint) or fingerprint.render_changes(ROOT):
        return False
    seconds = time.monotonic() - started
    count = len(list((ROOT / "notebooks").glob("*.ipynb")))
    say(f"up to date: {count} notebooks current, no input of _build/html changed (checked in {seconds:.2f} s)")
    return True


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    command, rest = argv[0], argv[1:]
    if command == "build":
        if rest not in ([], ["--force"]):
            sys.exit("[tasks] build takes only --force")
        python = ensure_venv()
        if not rest and book_is_up_to_date():
            return
        run(python, "-m", "iranrussia.maintenance", "build", *rest)
    elif command == "test":
        # The whole suite re-executes every notebook (nbval) and compares its outputs: a stale one would fail
        # there after minutes. Say which, and what changed, at once.
        stale = stale_notebooks(fingerprint_module()) if not rest else {}
        for path, changed in stale.items():
            say(f"{path} is stale: {'; '.join(changed)}")
        if stale:
            sys.exit("[tasks] run `python3 tasks.py build` (it re-executes exactly the stale notebooks), then test")
        ensure_chromium()
        python = ensure_venv()
        run(python, "-m", "pytest", *rest)
    elif command == "lint":
        python = ensure_venv()
        fix = rest == ["--fix"]
        if rest and not fix:
            sys.exit("[tasks] lint takes only --fix")
        run(python, "-m", "ruff", "check", *(["--fix"] if fix else []), ".")
        run(python, "-m", "ruff", "format", *([] if fix else ["--check"]), ".")
        run(python, "-m", "iranrussia.maintenance", "normalise", *([] if fix else ["--check"]))
    elif command == "bench":
        python = ensure_venv()
        ensure_chromium()
        run(python, "-m", "iranrussia.bench")
    elif command in ("execute", "rehash"):
        python = ensure_venv()
        run(python, "-m", "iranrussia.maintenance", command, *rest)
    else:
        sys.exit(f"[tasks] unknown command {command!r}; see python3 tasks.py --help")


if __name__ == "__main__":
    main(sys.argv[1:])
