"""The book's benchmark: ``python3 tasks.py bench``. Times, on fresh clones of the committed HEAD, in one run:

(a) Jupyter Book 1's own executing build (``execute_notebooks: force``, ``jupyter-book build . --all``);
(b) ``tasks.py build --force`` on a clean clone (every notebook re-executed, then the strict render);
(c) ``tasks.py build`` with nothing changed;
(d) one edit to a table read by one chapter (and the data dictionary), then ``tasks.py build``;
(e) ``tasks.py test``, the whole suite;
(f) nbval alone (every notebook re-executed in a fresh kernel) and (g) nbval with the browser test (every
page in Chromium): parts of (e) with no target, showing how much of (e)'s budget those two checks leave.

It prints each time, its ratio to (a) or (b) and the target, and for (d) which notebooks were re-executed
against the ones whose fingerprints read the table. The clones share this repository's ``.venv`` (linked;
``PYTHONPATH`` points each clone's kernels at its own package). Standard library only; needs minutes.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# (d): a text cell of one row of a table that one chapter and the data dictionary read.
EDITED_TABLE = "framing_evidence"
EDITED_COLUMN = "would_change"
EDIT = " (A sentence added by the benchmark.)"
TARGETS = {"b": ("a", 0.6), "c": ("b", 0.05), "d": ("a", 0.35), "e": ("b", 1.5)}
# (f), (g): parts of (e), shown as a ratio to (b) with no target (the test paths tasks.py test is given).
FLOOR = {"f": ["notebooks"], "g": ["notebooks", "tests/test_browser.py"]}


def clone(into: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO_ROOT), str(into)], check=True)
    (into / ".venv").symlink_to(REPO_ROOT / ".venv")
    return into


def timed(label: str, command: list[str], cwd: Path, log: Path) -> tuple[float, str]:
    """Run ``command`` in ``cwd`` with the clone's own package first on the path; its seconds and output."""
    env = dict(os.environ, PYTHONPATH=str(cwd))
    started = time.monotonic()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    log.write_text(output, encoding="utf-8")
    if result.returncode != 0:
        tail = "\n".join(output.splitlines()[-30:])
        raise SystemExit(f"[bench] ({label}) failed after {seconds:.1f} s; last lines of {log}:\n{tail}")
    print(f"[bench] ({label}) done in {seconds:.1f} s", flush=True)
    return seconds, output


def readers_of(root: Path, table: str) -> list[str]:
    """The notebooks whose fingerprints record a read of ``table``'s file or manifest (any of its columns)."""
    found = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        reads = json.loads(path.read_text(encoding="utf-8"))["metadata"]["book"]["fingerprint"]["reads"]
        if any(key.split("#")[0] in (f"data/{table}.csv", f"data/{table}.yml") for key in reads):
            found.append(path.relative_to(root).as_posix())
    return found


def edit_one_cell(root: Path) -> None:
    """Append a sentence to one text cell of the edited table (the file stays valid)."""
    import csv
    import io

    path = root / "data" / f"{EDITED_TABLE}.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    at = rows[0].index(EDITED_COLUMN)
    rows[1][at] += EDIT
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = f" ({found.group(1).strip()})" if found else ""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.M)
        memory = f", {int(found.group(1)) / 1024**2:.0f} GB RAM" if found else ""
    return f"{os.cpu_count()} cores{model}{memory}, {platform.system()}, Python {platform.python_version()}"


def main() -> None:
    python = sys.executable
    work = Path(tempfile.mkdtemp(prefix="book-bench-"))
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    print(f"[bench] commit {head.stdout.strip()}, on {machine()}; clones in {work}", flush=True)
    times: dict[str, float] = {}
    try:
        a = clone(work / "jb1")
        config = a / "_config.yml"
        config.write_text(config.read_text().replace('execute_notebooks: "off"', 'execute_notebooks: "force"'))
        jupyter_book = REPO_ROOT / ".venv" / "bin" / "jupyter-book"
        times["a"], _ = timed("a", [str(jupyter_book), "build", ".", "--all"], a, work / "a.log")
        b = clone(work / "book")
        times["b"], _ = timed("b", [python, "tasks.py", "build", "--force"], b, work / "b.log")
        status = ["git", "status", "--porcelain", "notebooks"]
        moved = subprocess.run(status, cwd=b, capture_output=True, text=True, check=True).stdout.split("\n")
        reproduced = [line for line in moved if line.strip()] == []
        times["c"], _ = timed("c", [python, "tasks.py", "build"], b, work / "c.log")
        times["e"], _ = timed("e", [python, "tasks.py", "test"], b, work / "e.log")
        times["f"], _ = timed("f", [python, "tasks.py", "test", *FLOOR["f"]], b, work / "f.log")
        times["g"], _ = timed("g", [python, "tasks.py", "test", *FLOOR["g"]], b, work / "g.log")
        expected = readers_of(b, EDITED_TABLE)
        edit_one_cell(b)
        subprocess.run([python, "tasks.py", "rehash", EDITED_TABLE], cwd=b, check=True, capture_output=True)
        times["d"], output = timed("d", [python, "tasks.py", "build"], b, work / "d.log")
        executed = sorted(re.findall(r"^\[execute\] (notebooks/\S+\.ipynb) in ", output, re.M))
    except BaseException:
        print(f"[bench] logs kept in {work}")
        raise
    rows = [
        ("a", "Jupyter Book 1's own build, execute_notebooks: force (jupyter-book build . --all)"),
        ("b", "tasks.py build --force, clean clone"),
        ("c", "tasks.py build, nothing changed"),
        ("d", f"edit one cell of data/{EDITED_TABLE}.csv (and rehash), then tasks.py build"),
        ("e", "tasks.py test, the whole suite"),
        ("f", f"tasks.py test {' '.join(FLOOR['f'])}: nbval alone"),
        ("g", f"tasks.py test {' '.join(FLOOR['g'])}: nbval and the browser test"),
    ]
    print()
    print("| step | what | seconds | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for key, what in rows:
        ratio = target = met = ""
        if key in TARGETS:
            base, limit = TARGETS[key]
            value = times[key] / times[base]
            ratio, target, met = f"{value:.3f} x ({base})", f"<= {limit} x ({base})", "yes" if value <= limit else "NO"
        elif key in FLOOR:
            ratio = f"{times[key] / times['b']:.3f} x (b)"
        print(f"| ({key}) | {what} | {times[key]:.1f} | {ratio} | {target} | {met} |")
    print()
    same = "the same" if executed == expected else "NOT the same"
    print(f"(d) re-executed: {', '.join(executed) or 'none'}; the notebooks that read {EDITED_TABLE}: ")
    print(f"    {', '.join(expected)} ({same}).")
    print(f"(b) left every committed notebook byte for byte as it was: {'yes' if reproduced else 'NO'}.")
    print(f"Machine: {machine()}.")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
