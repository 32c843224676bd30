"""Kernels for ``tasks.py build`` that start with the notebooks' libraries already imported.

Every notebook's kernel used to start as a new Python process that imported ipykernel, then, in the notebook's
first cell, numpy, pandas and matplotlib: about 2 s of a notebook's 4 to 14, the same work eight times over.
Here one process imports them once (the *zygote*, ``python -m iranrussia.preloaded_kernels SOCKET``) and, for
each kernel the build asks for, forks a child that becomes that kernel: it takes the kernel's environment,
working directory and arguments, starts a new session as jupyter_client's own launch would, and runs
ipykernel as ``python -m ipykernel_launcher`` does. The child is a new process with a new, empty user namespace
that runs the notebook top to bottom; what it shares with the zygote is only the imported library modules,
which is what a module cache holds in any kernel after its first import, imported as a kernel would import them
(matplotlib with the inline backend; pandas with the display defaults it sets under a kernel, see
:func:`_preload`). The book's own package is not
preloaded (a notebook imports it as written, and its reads are recorded as they happen). Nothing else changes:
the kernel talks to the build over the same sockets, and the outputs are byte for byte those of a kernel
started afresh (``tasks.py build --force`` leaves every committed notebook as it was; the test suite's nbval
runs each notebook in an ordinary new kernel and compares).

The build side is :class:`PreloadedKernels` (start and stop the zygote) and :func:`provisioner` (a
jupyter_client kernel provisioner that asks the zygote for a kernel instead of starting a process). Linux
only (it needs ``os.fork`` and ``os.pidfd_open``); elsewhere the build starts kernels the usual way.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The libraries the notebooks and the book's package import, in the order a first cell imports them.
PRELOADED = (
    "numpy",
    "pandas",
    "yaml",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.dates",
    "matplotlib.patches",
    "matplotlib.ticker",
    "IPython.display",
    "ipykernel.kernelapp",
)
# ipykernel sets this before matplotlib is first imported in a kernel (kernelapp, init_gui_pylab); matplotlib
# reads it when it is imported, so the zygote sets it the same way before importing matplotlib.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
SUPPORTED = hasattr(os, "fork") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")
START_TIMEOUT_S = 120


# ------------------------------------------------------------------------------------------- the zygote ----


class _KernelShell:
    """What ``get_ipython()`` answers inside a kernel, as far as a library asks at import: pandas sets its display
    defaults (display.max_columns 20, not the terminal's 0) when it finds a shell with a kernel."""

    kernel = object()


class _KernelStdout:
    """What ``sys.stdout`` is inside a kernel, as far as a library asks at import (pandas reads its encoding)."""

    encoding = "UTF-8"

    def write(self, text: str) -> int:
        return sys.__stdout__.write(text)

    def flush(self) -> None:
        sys.__stdout__.flush()


def _preload() -> None:
    """Import the libraries as a kernel's first cell would: the inline backend chosen, a kernel's shell and
    output stream in place."""
    import builtins

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    builtins.get_ipython, sys.stdout = _KernelShell, _KernelStdout()
    try:
        for name in PRELOADED:
            __import__(name)
    finally:
        del builtins.get_ipython  # the kernel's own shell provides it
        sys.stdout = sys.__stdout__


def _serve(path: str) -> None:
    # Ctrl-C in the build's terminal reaches this process too; the build stops it, or it sees the build gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _preload()
    parent = os.getppid()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path + ".binding")
        server.listen()
        server.settimeout(0.5)
        os.rename(path + ".binding", path)  # the build waits for this name: it now accepts connections
        while os.getppid() == parent:  # the build is gone: so are we
            _reap()
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                request = json.loads(_receive(connection))
                pid = os.fork()
                if pid == 0:
                    server.close()
                    connection.close()
                    _become_kernel(request)  # never returns
                pidfd = os.pidfd_open(pid)  # before any reap: the pid cannot have been reused
                socket.send_fds(connection, [str(pid).encode()], [pidfd])
                os.close(pidfd)


def _receive(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _become_kernel(request: dict) -> None:
    """In the forked child: become the kernel ``python -m ipykernel_launcher ARGS`` would have started."""
    code = 1
    try:
        os.setsid()  # its own session and process group, as jupyter_client launches kernels
        # The signal handling a new Python starts with: an interrupt raises KeyboardInterrupt (how the kernel
        # manager interrupts a running cell), the rest take their default action.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for signum in (signal.SIGTERM, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # as jupyter_client's launch sets it: the parent's pid
        # sys.argv[0] as `python -m ipykernel_launcher` sets it: the launcher module's file
        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *request["args"]]
        from ipykernel import kernelapp

        # parent_handle's default was read from the zygote's environment when kernelapp was imported; the
        # kernel is to stop when its parent, this zygote, stops.
        kernelapp.launch_new_instance([*request["args"], f"--IPKernelApp.parent_handle={os.getppid()}"])
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# ------------------------------------------------------------------------------------------ the build side ----


class PreloadedKernels:
    """The zygote, started by ``with PreloadedKernels() as kernels:`` and stopped at the end of the block."""

    def __enter__(self) -> PreloadedKernels:
        self._folder = tempfile.TemporaryDirectory(prefix="kernels-")
        self.socket_path = str(Path(self._folder.name) / "zygote")
        # Run as a script, not with -m: importing the book's package first would import pandas before _preload.
        command = [sys.executable, __file__, self.socket_path]
        # Its output, and its kernels', goes where the build's goes, as a kernel's own would.
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not os.path.exists(self.socket_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("the kernel zygote did not start (see its output above)")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._folder.cleanup()


def fork_kernel(socket_path: str, args: list[str], cwd: str, env: dict[str, str]) -> _ForkedKernel:
    """Ask the zygote at ``socket_path`` for a kernel with these arguments, working directory and environment."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(socket_path)
        connection.sendall(json.dumps({"args": args, "cwd": cwd, "env": env}).encode())
        connection.shutdown(socket.SHUT_WR)
        message, fds, _, _ = socket.recv_fds(connection, 64, 1)
    if not fds:
        raise RuntimeError("the kernel zygote sent no process for the kernel")
    return _ForkedKernel(int(message), fds[0])


class _ForkedKernel:
    """A forked kernel as jupyter_client handles a kernel's ``subprocess.Popen``: pid, poll, wait and signals.
    It is the zygote's child, not the build's, so its end is watched through a pidfd (readable once it has
    exited); its exit status is the zygote's to collect, so it reads as 0 after a normal end and -9 after a kill.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int):
        self.pid, self._pidfd, self.returncode, self._killed = pid, pidfd, None, False

    def poll(self) -> int | None:
        return self.wait(timeout=0, raising=False)

    def wait(self, timeout: float | None = None, raising: bool = True) -> int | None:
        if self.returncode is None:
            ready, _, _ = select.select([self._pidfd], [], [], timeout)
            if not ready:
                if raising:
                    raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
                return None
            os.close(self._pidfd)
            self.returncode = -signal.SIGKILL if self._killed else 0
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            signal.pidfd_send_signal(self._pidfd, signum)
            self._killed |= signum == signal.SIGKILL

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def provisioner(kernel_manager, socket_path: str):
    """A provisioner for ``kernel_manager`` that gets its kernel from the zygote at ``socket_path``; set it as
    the manager's ``provisioner`` before the kernel starts."""
    import uuid

    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ZygoteProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs):
            # cmd is the kernel spec's argv: python -m ipykernel_launcher ARGS
            at = cmd.index("ipykernel_launcher") if "ipykernel_launcher" in cmd else None
            if at is None or at < 2 or cmd[at - 1] != "-m":
                raise RuntimeError(f"not an ipykernel launch, cannot be forked: {cmd}")
            env = kwargs.get("env") or dict(os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            self.process = fork_kernel(socket_path, cmd[at + 1 :], cwd, env)
            self.pid = self.process.pid
            # No process group: the child may not have left the zygote's group yet (it calls setsid first
            # thing), and a signal to that group could reach the build itself. LocalProvisioner then signals the
            # kernel process alone, for an interrupt as for a kill.
            self.pgid = None
            self.cwd = cwd
            return self.connection_info

    kernel_manager.kernel_id = kernel_manager.kernel_id or str(uuid.uuid4())
    return ZygoteProvisioner(
        kernel_id=kernel_manager.kernel_id, kernel_spec=kernel_manager.kernel_spec, parent=kernel_manager
    )


if __name__ == "__main__":
    # A script's folder comes first on its path; a kernel's path has no such entry (ipykernel_launcher drops the
    # one `python -m` adds), and this folder's module names are not to shadow any other.
    del sys.path[0]
    _serve(sys.argv[1])
