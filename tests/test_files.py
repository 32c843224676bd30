"""Atomic writes (iranrussia/files.py) and rehash on careless manifests.

The kill tests run a real write in a subprocess whose file-size limit (RLIMIT_FSIZE) is half the new file, so the
kernel kills it with SIGXFSZ part-way through; the file the project writes must still hold its old bytes. Each
has a control that swaps in a plain, non-atomic write and shows the same kill tearing the file, so the tests can
tell the two apart.
"""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from iranrussia import maintenance
from iranrussia.data import read_manifest, refresh_manifest_sha256
from iranrussia.files import atomic_open, atomic_write_bytes, atomic_write_text

REPO_ROOT = Path(__file__).resolve().parent.parent


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


# ------------------------------------------------------------------------------- the atomic helpers ----


def test_atomic_write_bytes_writes_exactly_the_bytes(tmp_path):
    target = tmp_path / "t.bin"
    target.write_bytes(b"old content, longer than the new one")
    atomic_write_bytes(target, b"new\x00\xff")
    assert target.read_bytes() == b"new\x00\xff"
    assert temp_files(tmp_path) == []


def test_atomic_write_text_translates_no_newlines(tmp_path):
    target = tmp_path / "t.csv"
    atomic_write_text(target, 'a,b\r\nTehrān,"x\ny"\n')
    assert target.read_bytes() == 'a,b\r\nTehrān,"x\ny"\n'.encode()
    with atomic_open(target, "w") as handle:
        handle.write("one\ntwo\r\n")
    assert target.read_bytes() == b"one\ntwo\r\n"


def test_the_permission_bits_of_the_replaced_file_are_kept(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    atomic_write_text(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    target.chmod(0o755)
    atomic_write_text(target, "newer\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "new.csv", "x\n")
    finally:
        os.umask(old)
    # Not mkstemp's 0o600: 0o666 less the umask, as a plain open() would create it.
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o640


def test_mid_write_the_target_still_holds_its_old_bytes_and_the_temp_file_is_hidden_beside_it(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old\n")
    with atomic_open(target, "w") as handle:
        handle.write("new\n")
        handle.flush()
        [temp] = temp_files(tmp_path)
        assert temp.name.startswith(".t.csv.") and temp.read_text() == "new\n"
        assert target.read_text() == "old\n"
    assert target.read_text() == "new\n"
    assert temp_files(tmp_path) == []


def test_an_exception_while_writing_leaves_the_target_untouched_and_no_temp_file(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        with atomic_open(target, "w") as handle:
            handle.write("half of the new content\n")
            handle.write("\udc80")  # a lone surrogate: not encodable, as from a badly decoded input
    assert target.read_text() == "old\n"
    assert temp_files(tmp_path) == []


def test_an_exception_in_the_caller_leaves_the_target_untouched_and_no_temp_file(tmp_path):
    target = tmp_path / "t.bin"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(target, "wb") as handle:
            handle.write(b"new")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert temp_files(tmp_path) == []


def test_a_failing_rename_removes_the_temp_file(tmp_path):
    target = tmp_path / "folder"
    target.mkdir()
    (target / "kept").write_text("x")
    with pytest.raises(OSError):
        atomic_write_text(target, "cannot replace a folder\n")
    assert (target / "kept").read_text() == "x"
    assert temp_files(tmp_path) == []


def test_a_symbolic_link_is_followed_and_survives(tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    atomic_write_text(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_only_whole_file_modes_are_accepted(tmp_path):
    with pytest.raises(ValueError, match="mode 'w' or 'wb'"):
        with atomic_open(tmp_path / "t", "a"):
            pass
    assert list(tmp_path.iterdir()) == []


def test_git_ignores_the_temp_files():
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", "data/.events.csv.k2j4h_x1.tmp"], cwd=REPO_ROOT, capture_output=True
    )
    assert result.returncode == 0, "add the temp-file pattern of iranrussia/files.py to .gitignore"


# ------------------------------------------------------------------------------- killed mid-write ----

# Run as a subprocess: argv = mode (atomic | plain), target, size limit in bytes, then what to write.
# The limit is set only once the work before the write is done (the kernel has run and shut down); from then
# the first write past it kills the process with SIGXFSZ, which CPython ignores unless told otherwise.
KILL_HARNESS = textwrap.dedent("""\
    import resource, signal, sys
    from pathlib import Path

    mode, target, limit, job = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    def plain_write_text(path, text, encoding="utf-8"):  # the control: what the project did before
        Path(path).write_text(text, encoding=encoding)

    if job == "notebook":
        import nbclient
        from iranrussia import maintenance
        original = nbclient.NotebookClient.execute
        def execute(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            limit_file_size()
            return result
        nbclient.NotebookClient.execute = execute
        if mode == "plain":
            maintenance.atomic_write_text = plain_write_text
        maintenance.execute_notebooks([target])
    else:
        import pandas as pd
        from iranrussia import data
        table = pd.read_csv(sys.argv[5], dtype={"row_id": str, "year": int, "note": str}, keep_default_na=False)
        if mode == "plain":
            data.atomic_write_text = plain_write_text
        limit_file_size()
        data.write(target.stem, table, data_dir=target.parent)
    print("not killed")
    """)


def run_killed(mode: str, target: Path, limit: int, job: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", KILL_HARNESS, mode, str(target), str(limit), job, *extra],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_killed_by_the_size_limit(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == -signal.SIGXFSZ, (
        f"expected death by SIGXFSZ, got return code {result.returncode}\n{result.stdout}\n{result.stderr}"
    )


@pytest.fixture(scope="module")
def small_notebook(tmp_path_factory) -> Path:
    """One code cell that prints, one markdown cell that makes the file about 30 kB."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("Filler, so that the file is well past the size limit.\n\n" + "lorem " * 5000),
        nbformat.v4.new_code_cell('print("written by the kernel")'),
    ]
    path = tmp_path_factory.mktemp("nb") / "small.ipynb"
    nbformat.write(notebook, path)
    assert path.stat().st_size > 20_000
    return path


@pytest.mark.parametrize("mode", ["atomic", "plain"])
def test_a_notebook_killed_while_being_saved_keeps_its_old_bytes(small_notebook, tmp_path, mode):
    path = tmp_path / small_notebook.name
    original = small_notebook.read_bytes()
    path.write_bytes(original)
    limit = len(original) // 2
    result = run_killed(mode, path, limit, "notebook")
    assert_killed_by_the_size_limit(result)
    if mode == "plain":
        # Control: nbformat.write-style saving in place is torn by the same kill; the test tells them apart.
        assert path.stat().st_size == limit and temp_files(tmp_path) == []
        return
    [partial] = temp_files(tmp_path)  # proof the kill came part-way through writing the new notebook
    assert partial.name.startswith(".small.ipynb.") and 0 < partial.stat().st_size <= limit
    assert partial.read_bytes().startswith(b"{")
    partial.unlink()
    assert path.read_bytes() == original


def test_execute_notebooks_saves_the_bytes_nbformat_write_would(small_notebook, tmp_path, monkeypatch):
    """Committed notebooks must not change merely because they are now saved atomically."""
    path = tmp_path / small_notebook.name
    path.write_bytes(small_notebook.read_bytes())

    executed = []

    def execute(client, **kwargs):  # no kernel: stand-in outputs, as a run would add
        client.nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="written\n")]
        executed.append(client.nb)
        return client.nb

    monkeypatch.setattr(maintenance.NotebookClient, "execute", execute)
    maintenance.execute_notebooks([path])
    expected = tmp_path / "expected.ipynb"
    nbformat.write(executed[0], expected)
    assert path.read_bytes() == expected.read_bytes() and b"written" in path.read_bytes()
    assert temp_files(tmp_path) == []


def write_sample_table(data_dir: Path, rows: int, value: str) -> pd.DataFrame:
    data_dir.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(
        {
            "row_id": [f"R{i:05d}" for i in range(rows)],
            "year": [str(1992 + i % 30) for i in range(rows)],
            "note": [f"{value} {i}" for i in range(rows)],
        }
    )
    (data_dir / "sample.csv").write_text(table.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    (data_dir / "sample.yml").write_text(yaml.safe_dump(sample_manifest(), sort_keys=False), encoding="utf-8")
    refresh_manifest_sha256(data_dir / "sample.csv")
    return table


def sample_manifest(**change) -> dict:
    spec = {
        "name": "sample",
        "title": "A sample",
        "description": "One row per test.",
        "path": "sample.csv",
        "sha256": "0" * 64,
        "producer": "Tests",
        "licence": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
        "credit": "Test data.",
        "primary_key": ["row_id"],
        "coverage": {"start": "year", "end": "year"},
        "columns": [
            {"name": "row_id", "type": "string", "description": "Identifier.", "required": True},
            {"name": "year", "type": "integer", "description": "Year.", "unit": "year", "required": True},
            {"name": "note", "type": "string", "description": "Text."},
        ],
    }
    spec.update(change)
    return {k: v for k, v in spec.items() if v is not None}


@pytest.mark.parametrize("mode", ["atomic", "plain"])
def test_a_table_killed_while_being_written_keeps_its_old_bytes_and_manifest(tmp_path, mode):
    data_dir = tmp_path / "data"
    write_sample_table(data_dir, 4000, "old")
    csv_before, manifest_before = (data_dir / "sample.csv").read_bytes(), (data_dir / "sample.yml").read_bytes()
    new = tmp_path / "new.csv"  # the builder's new table, different content, outside the data folder
    new.write_text(
        pd.read_csv(data_dir / "sample.csv", dtype=str)
        .assign(note=lambda t: "new " + t["note"])
        .to_csv(index=False, lineterminator="\n"),
        encoding="utf-8",
    )
    limit = new.stat().st_size // 2
    result = run_killed(mode, data_dir / "sample.csv", limit, "table", str(new))
    assert_killed_by_the_size_limit(result)
    assert (data_dir / "sample.yml").read_bytes() == manifest_before  # killed before it got that far
    if mode == "plain":
        # Control: to_csv(path)-style writing in place is torn by the same kill, under the old manifest.
        assert (data_dir / "sample.csv").stat().st_size == limit and temp_files(data_dir) == []
        return
    [partial] = temp_files(data_dir)
    assert partial.name.startswith(".sample.csv.") and 0 < partial.stat().st_size <= limit
    partial.unlink()
    assert (data_dir / "sample.csv").read_bytes() == csv_before
    assert hashlib.sha256(csv_before).hexdigest() == read_manifest("sample", data_dir).sha256


# ---------------------------------------------------------------------- rehash on careless manifests ----


@pytest.fixture
def table_without_hash(tmp_path) -> Path:
    data_dir = tmp_path / "data"
    write_sample_table(data_dir, 3, "x")
    (data_dir / "sample.yml").write_text(
        yaml.safe_dump(sample_manifest(sha256=None), sort_keys=False), encoding="utf-8"
    )
    return data_dir


def test_rehash_adds_a_missing_sha256_line_right_after_path(table_without_hash):
    manifest = table_without_hash / "sample.yml"
    before = manifest.read_text(encoding="utf-8")
    assert "sha256" not in before
    digest = refresh_manifest_sha256(table_without_hash / "sample.csv")
    assert manifest.read_text(encoding="utf-8") == before.replace(
        "path: sample.csv\n", f"path: sample.csv\nsha256: {digest}\n"
    )
    assert read_manifest("sample", table_without_hash).sha256 == digest


def test_the_rehash_command_adds_the_line_too(table_without_hash, monkeypatch, capsys):
    monkeypatch.setattr(maintenance, "DATA_DIR", table_without_hash)
    maintenance.main(["rehash", "sample"])
    digest = hashlib.sha256((table_without_hash / "sample.csv").read_bytes()).hexdigest()
    assert read_manifest("sample", table_without_hash).sha256 == digest
    assert f"[rehash] sample: {digest}" in capsys.readouterr().out


@pytest.mark.parametrize("placeholder", ["0" * 64, "''", '""', "TODO", "", "null", "stale  # to do"])
def test_rehash_replaces_a_placeholder_hash(table_without_hash, placeholder):
    manifest = table_without_hash / "sample.yml"
    text = manifest.read_text(encoding="utf-8").replace(
        "path: sample.csv\n", f"path: sample.csv\nsha256: {placeholder}\n"
    )
    manifest.write_text(text, encoding="utf-8")
    if placeholder == "0" * 64:
        assert yaml.safe_load(text)["sha256"] == 0  # the trap: YAML reads the zeros as a number
    digest = refresh_manifest_sha256(table_without_hash / "sample.csv")
    assert manifest.read_text(encoding="utf-8") == text.replace(f"sha256: {placeholder}\n", f"sha256: {digest}\n")
    assert read_manifest("sample", table_without_hash).sha256 == digest


def test_rehash_refuses_two_sha256_lines_naming_them(table_without_hash):
    manifest = table_without_hash / "sample.yml"
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(4, "sha256: aaaa\n")
    lines.append("sha256: bbbb  # a second one, pasted at the end\n")
    manifest.write_text("".join(lines), encoding="utf-8")
    before = manifest.read_bytes()
    with pytest.raises(ValueError, match=rf"sample\.yml: .*found 2, on lines 5, {len(lines)}; delete all but one"):
        refresh_manifest_sha256(table_without_hash / "sample.csv")
    assert manifest.read_bytes() == before


def test_rehash_without_a_path_line_says_so(tmp_path):
    (tmp_path / "t.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "t.yml").write_text("name: t\ncolumns: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"t\.yml: .*found none, and no top-level 'path:' line to add it after"):
        refresh_manifest_sha256(tmp_path / "t.csv")
    assert (tmp_path / "t.yml").read_text(encoding="utf-8") == "name: t\ncolumns: []\n"


def test_the_rehash_command_names_a_manifest_without_path(tmp_path, monkeypatch):
    (tmp_path / "t.yml").write_text("name: t\n", encoding="utf-8")
    monkeypatch.setattr(maintenance, "DATA_DIR", tmp_path)
    with pytest.raises(SystemExit, match=r"\[rehash\] .*t\.yml: no top-level 'path:'"):
        maintenance.main(["rehash", "t"])


def test_rehash_keeps_a_crlf_manifest_crlf(tmp_path):
    (tmp_path / "t.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "t.yml").write_bytes(b"name: t\r\npath: t.csv\r\nsha256: stale\r\ncolumns: []\r\n")
    digest = refresh_manifest_sha256(tmp_path / "t.csv")
    expected = f"name: t\r\npath: t.csv\r\nsha256: {digest}\r\ncolumns: []\r\n"
    assert (tmp_path / "t.yml").read_bytes() == expected.encode()


def test_rehash_refuses_a_hash_value_that_runs_on_to_the_next_line(tmp_path):
    (tmp_path / "t.csv").write_text("a\n1\n", encoding="utf-8")
    text = "name: t\npath: t.csv\nsha256: >-\n  stale\ncolumns: []\n"
    (tmp_path / "t.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="nothing was written"):
        refresh_manifest_sha256(tmp_path / "t.csv")
    assert (tmp_path / "t.yml").read_text(encoding="utf-8") == text


def test_rehash_does_not_rewrite_a_manifest_whose_hash_is_current(table_without_hash):
    refresh_manifest_sha256(table_without_hash / "sample.csv")
    manifest = table_without_hash / "sample.yml"
    inode = manifest.stat().st_ino
    refresh_manifest_sha256(table_without_hash / "sample.csv")
    assert manifest.stat().st_ino == inode  # an atomic write would have put a new file there
