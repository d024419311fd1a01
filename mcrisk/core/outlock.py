"""One run at a time into an output folder: a second run into the same folder is refused.

A run holds :func:`hold_out` on its output folder ``out`` from its start to the swap that puts
its results in place (:mod:`mcrisk.core.outfolder`). The hold is an exclusive advisory lock
(``flock``) on the file ``.NAME.mcrisk-lock`` beside the folder, which holds the run's PID; a
second run into ``out`` meanwhile is refused in one line naming that PID, before it computes
anything, rather than swapping its folder over the first one's without a word.

The kernel drops the lock of a process that ends, however it ends (SIGKILL included), so the
file a killed run leaves behind is taken over by the next run and never blocks it, and a PID
reused by another process does not matter. Where ``fcntl`` is missing (Windows) there is no
lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mcrisk.core.errors import SpecError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks through fcntl
    fcntl = None

__all__ = ["hold_out", "lock_path"]

#: The locks this process holds: lock file -> [thread holding it, depth]. The thread that holds
#: a lock may take it again (a run's write_atomically inside the run's own hold).
_HELD: dict[str, list[int]] = {}
_GUARD = threading.Lock()


def lock_path(out: str | Path) -> Path:
    """The lock file of the output folder ``out``: ``.NAME.mcrisk-lock`` beside it.

    Parameters
    ----------
    out
        The output folder.

    Returns
    -------
    Path
    """
    out = Path(out)
    return out.parent / f".{out.name}.mcrisk-lock"


@contextmanager
def hold_out(out: str | Path) -> Iterator[None]:
    """Hold the output folder ``out`` for this run; another run into it meanwhile is refused.

    Makes the parent folders the lock file needs (and removes them at the end if they are still
    empty), locks ``.NAME.mcrisk-lock`` beside ``out`` with an exclusive ``flock``, writes this
    process's PID into it, and removes it when the block ends. The thread that holds ``out``
    may hold it again inside; another thread, or another process, may not.

    Parameters
    ----------
    out
        The output folder.

    Yields
    ------
    None

    Raises
    ------
    SpecError
        When another run holds ``out``, on one line: ``out = 'x' is being written by another
        run (process 1234); wait for it to end or name another folder``; or when the lock
        file cannot be made.
    """
    out = Path(out)
    lock = lock_path(out)
    key, me = os.path.abspath(lock), threading.get_ident()
    with _GUARD:
        held = _HELD.get(key)
        mine = held is not None and held[0] == me
        if mine:
            held[1] += 1
    if mine or fcntl is None:
        try:
            yield
        finally:
            if mine:
                with _GUARD:
                    held[1] -= 1
        return
    made = [p for p in (out.parent, *out.parent.parents) if not os.path.lexists(p)]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd = _lock(lock, out)
    except BaseException as exc:
        _remove_empty(made)
        if isinstance(exc, OSError):
            raise SpecError(f"out = '{out}' cannot be created ({exc.strerror or exc})") from None
        raise
    with _GUARD:
        _HELD[key] = [me, 1]
    try:
        yield
    finally:
        with _GUARD:
            del _HELD[key]
        try:
            os.unlink(lock)  # while still locked: a run waiting on this file then sees it is gone
        except OSError:
            pass
        os.close(fd)
        _remove_empty(made)


def _lock(lock: Path, out: Path) -> int:
    """A descriptor of ``lock`` with an exclusive flock on it and this process's PID written in."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise SpecError(f"out = '{out}' is being written by another run (process {pid}); wait for it "
                            "to end or name another folder") from None
        except BaseException:
            os.close(fd)
            raise
        try:  # the run that held it may have ended and removed the file between open and flock
            if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)  # a killed run's PID, taken over
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (innermost first) while they are empty."""
    for p in folders:
        try:
            p.rmdir()
        except OSError:
            break
