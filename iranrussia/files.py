"""Write the project's files atomically: a reader, a crash or a full disk sees the old file or the new one, never half.

Every file the book's tooling writes into the repository (executed notebooks, builders' CSVs, manifests'
``sha256`` lines) goes through here. The new content is written to a hidden temporary file in the same folder,
``.<name>.<random>.tmp`` (ignored by git), flushed to disk, given the permission bits of the file it replaces,
then renamed onto the target with ``os.replace``, which is atomic within one file system. If anything fails the
temporary file is removed and the target is untouched; only a killed process can leave a ``.*.tmp`` behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TEMP_SUFFIX = ".tmp"
_NEW_FILE_MODE = 0o666  # before the umask, as open() would create it


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Replace ``path`` with exactly ``data``, atomically."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` encoded, atomically; no newline translation (``\\n`` stays ``\\n``)."""
    atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_open(path: Path | str, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO]:
    """A file opened for writing (``"w"`` text, ``"wb"`` bytes) that replaces ``path`` only if the block succeeds.

    Text mode writes newlines as given (``newline=""``), so the bytes on disk are the text's own.
    A symbolic link at ``path`` is followed, as a plain ``open(path, "w")`` would: the file it points at is
    replaced and the link survives.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode 'w' or 'wb', not {mode!r}")
    target = Path(os.path.realpath(path))
    folder = target.parent
    fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    temp = Path(temp_name)
    handle: IO | None = None
    try:
        # mkstemp creates the file 0o600; give it the bits the replaced file had, or a new file's usual ones.
        os.fchmod(fd, _mode_for(target))
        if mode == "wb":
            handle = os.fdopen(fd, "wb")
        else:
            handle = os.fdopen(fd, "w", encoding=encoding, newline="")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        if handle is None:  # fdopen never took the descriptor over; once it has, closing the file closed it
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    _fsync_folder(folder)


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return _NEW_FILE_MODE & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it (os.umask can only be read by setting it, which races)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort where a folder cannot be opened (not POSIX)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
