"""Output folders: checked before a run computes anything, replaced whole or not at all.

A run writes its folder ``out`` into a temporary sibling ``.NAME.mcrisk-tmp-PID-XXXX`` and,
when every file is written, swaps it in:

* on Linux with one ``renameat2(RENAME_EXCHANGE)`` call, a true atomic swap (the temporary
  then holds the old folder, which is renamed to ``.NAME.mcrisk-trash-PID-XXXX`` and deleted);
* elsewhere, or on a file system without the exchange, ``out`` is renamed aside to
  ``.NAME.mcrisk-old-PID-XXXX``, the new folder renamed in, and the old one trashed.

SIGINT and SIGTERM are held off during the renames (and delivered right after), so a run
stopped by either leaves the old folder or the new one, complete. A run killed outright
(SIGKILL, power cut) may leave temporaries; the next run into the same ``out`` removes them
and, if it was killed between the two renames of the fallback, puts the old folder back
(:func:`recover`). Temporaries whose PID is a live process belong to a concurrent run and
are left alone. Two runs into one ``out`` at once: the second is refused in one line
(:func:`mcrisk.core.outlock.hold_out`, which :func:`write_atomically` holds while it writes).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mcrisk.core.errors import SpecError
from mcrisk.core.outlock import hold_out

__all__ = ["OUTPUT_MARKERS", "SYSTEM_FOLDERS", "check_out", "recover", "swap", "write_atomically"]

#: Files whose presence marks a folder as mcrisk's own output, which a rerun may replace.
OUTPUT_MARKERS = ("results.nc", "summary.csv", "sensitivity.nc", "solve.json", "compare.csv")

#: Folders that hold no user files: an output folder under one of them is refused.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")

_KINDS = ("tmp", "old", "trash")
_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _prefix(out: Path, kind: str) -> str:
    return f".{out.name}.mcrisk-{kind}-"


def _where(out: Path) -> str:
    return f"out = '{out}'"


def check_out(out: str | Path, protect: tuple[Path, ...] = ()) -> None:
    """Check that ``out`` can take a run's results, before the run computes anything.

    Removes what killed earlier runs into ``out`` left behind (:func:`recover`), then checks
    that ``out`` is not a system folder, a quoted ``~``, a file, a symbolic link, the current
    folder or one above it, a folder holding one of ``protect``, or an existing folder that is
    not mcrisk output (it has none of :data:`OUTPUT_MARKERS`); and that its parent can be
    created and written to (a probe folder is made and removed, and any parent folders made
    for it removed again, so nothing is left behind).

    Parameters
    ----------
    out
        The output folder.
    protect
        Files the folder must not hold (the study file itself).

    Returns
    -------
    None

    Raises
    ------
    SpecError
        Naming ``out`` and what is wrong, on one line.
    """
    out = Path(out)
    where = _where(out)
    if out.parts and out.parts[0].startswith("~"):
        home = os.path.expanduser(out.parts[0])
        hint = (f"did you mean {Path(home, *out.parts[1:])}?" if home != out.parts[0]
                else "write the folder without the ~")
        raise SpecError(f"{where} starts with a literal '{out.parts[0]}', which the shell expands only "
                        f"when it is not quoted; {hint}")
    target = out.resolve()
    for system in SYSTEM_FOLDERS:
        if target == Path(system) or Path(system) in target.parents:
            raise SpecError(f"{where} is under {system}, a system folder; name a folder for the results")
    recover(out)
    if out.is_symlink():
        raise SpecError(f"{where} is a symbolic link; name the folder it points to, {target}")
    if out.exists() and not out.is_dir():
        raise SpecError(f"{where} is a file; name a folder for the results")
    here = Path.cwd().resolve()
    if target == here or target in here.parents:
        raise SpecError(f"{where} is the current folder or one above it; name a new folder for the results")
    for p in protect:
        if target in p.resolve().parents:
            raise SpecError(f"{where} holds {p}; name a folder of its own for the results")
    if out.is_dir() and any(out.iterdir()) and not any((out / m).exists() for m in OUTPUT_MARKERS):
        raise SpecError(f"{where} exists and is not an mcrisk output folder (it has no "
                        f"{', '.join(OUTPUT_MARKERS)}); name a new folder or empty it")
    _probe(out)


def _probe(out: Path) -> None:
    """Make and remove a temporary folder beside ``out``, and the parents it needed."""
    made = [p for p in (out.parent, *out.parent.parents) if not os.path.lexists(p)]
    first = (out.parent, *out.parent.parents)[len(made)]
    if not first.is_dir():
        raise SpecError(f"{_where(out)} cannot be created ({first} is a file)")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=_prefix(out, "tmp") + f"{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise SpecError(f"{_where(out)} cannot be created ({exc.strerror or exc})") from None
    finally:
        for p in made:  # innermost first; only the folders this probe made, and only if empty
            try:
                p.rmdir()
            except OSError:
                break


def _leftovers(out: Path) -> Iterator[tuple[str, Path]]:
    """``(kind, path)`` for each temporary of ``out`` whose run is no longer alive."""
    try:
        names = os.listdir(out.parent)
    except OSError:
        return
    for name in sorted(names):
        for kind in _KINDS:
            if name.startswith(prefix := _prefix(out, kind)):
                pid = name[len(prefix):].partition("-")[0]
                if pid.isdigit() and not _alive(int(pid)):
                    yield kind, out.parent / name


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # this process's own are in use; on Windows,
        return True  # os.kill(pid, 0) would end the process, so every PID counts as alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def recover(out: str | Path) -> None:
    """Undo what runs into ``out`` that were killed outright left behind.

    Removes their ``.NAME.mcrisk-tmp-*`` and ``.NAME.mcrisk-trash-*`` folders. A
    ``.NAME.mcrisk-old-*`` folder is the previous complete ``out``, renamed aside by a run
    killed before it renamed its new folder in: it is renamed back when ``out`` is missing,
    removed otherwise. Temporaries of live processes (concurrent runs) are left alone.

    Parameters
    ----------
    out
        The output folder (it need not exist).

    Returns
    -------
    None
        Best effort: a folder that cannot be renamed or removed is left as it is.
    """
    out = Path(out)
    for kind, path in _leftovers(out):
        try:
            if kind == "old" and not os.path.lexists(out):
                os.rename(path, out)
                continue
        except OSError:  # best effort: the run's own checks then say what is wrong with ``out``
            continue
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM off; one that came meanwhile is raised again on exit.

    Python-level handlers rather than ``pthread_sigmask``: in a process with other threads
    (BLAS, HDF5) the kernel may deliver the signal to one of those, and Python would still run
    its handler in the main thread, inside the renames.
    """
    pending: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or None in map(signal.getsignal, held):
        yield  # handlers can be set only in the main thread (and not over one set from C)
        return
    previous = {s: signal.signal(s, lambda signum, frame: pending.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if pending:
            signal.raise_signal(pending[0])


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically with Linux's renameat2; False where it is unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).renameat2
    except (OSError, AttributeError):  # glibc before 2.28, or another C library
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # the file system cannot
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def swap(new: str | Path, out: str | Path, *, exchange: bool = True) -> None:
    """Put the complete folder ``new`` at ``out``, replacing and then deleting any old ``out``.

    Parameters
    ----------
    new
        The finished folder, a sibling of ``out`` named ``.NAME.mcrisk-tmp-PID-XXXX``.
    out
        Where it goes.
    exchange
        Swap with Linux's ``renameat2(RENAME_EXCHANGE)`` where the file system allows it;
        False (or where it is unavailable): rename ``out`` aside, then ``new`` in.

    Returns
    -------
    None

    Notes
    -----
    SIGINT and SIGTERM are held off during the renames. A SIGKILL leaves ``out`` old or new
    with the exchange; without it, between the two renames it leaves ``out`` missing and the
    old folder beside it as ``.NAME.mcrisk-old-PID-XXXX``, which :func:`recover` puts back.
    """
    new, out = Path(new), Path(out)
    trash = new.with_name(new.name.replace(".mcrisk-tmp-", ".mcrisk-trash-", 1))
    try:
        with _signals_held():
            if not os.path.lexists(out):
                os.rename(new, out)
                return
            if exchange and _exchange(new, out):
                old = new  # which now holds the old folder
            else:
                old = new.with_name(new.name.replace(".mcrisk-tmp-", ".mcrisk-old-", 1))
                os.rename(out, old)
                try:
                    os.rename(new, out)
                except BaseException:
                    os.rename(old, out)
                    raise
            try:
                os.rename(old, trash)
            except OSError:  # the new folder is in place; the old one goes under its own name
                trash = old
    finally:  # also when a signal held off during the renames arrives as they end
        if trash.exists():
            shutil.rmtree(trash, ignore_errors=True)


def write_atomically(out: str | Path, write: Callable[[Path], None], protect: tuple[Path, ...] = (), *,
                     keep: bool = False) -> None:
    """Write a folder with ``write(tmp)`` into a temporary sibling, then swap it in as ``out``.

    Parameters
    ----------
    out
        The output folder; checked first with :func:`check_out`.
    write
        Writes every file of the new folder into the empty folder it is given.
    protect
        Files ``out`` must not hold (see :func:`check_out`).
    keep
        Also keep the existing folder's files that ``write`` did not write (hard-linked, or
        copied where links are not possible), so the folder is updated rather than replaced,
        still in one swap.

    Returns
    -------
    None

    Raises
    ------
    SpecError
        When ``out`` is refused, another run is writing it (:func:`~mcrisk.core.outlock.hold_out`),
        or an ``OSError`` stops the writing; nothing is left behind
        and an existing ``out`` is unchanged. Any other exception (``KeyboardInterrupt``
        included) also removes the temporary folder and propagates.
    """
    out = Path(out)
    check_out(out, protect)
    with hold_out(out):  # a run that held out from its start holds it again here
        _write_held(out, write, keep)


def _write_held(out: Path, write: Callable[[Path], None], keep: bool) -> None:
    """:func:`write_atomically` once ``out`` is checked and held."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_prefix(out, "tmp") + f"{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise SpecError(f"{_where(out)} cannot be created ({exc.strerror or exc})") from None
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the finished folder is shared like any other
        write(tmp)
        if keep and out.is_dir():
            _link_missing(out, tmp)
        swap(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SpecError(f"{_where(out)} cannot be written ({exc.strerror or exc})") from None
    except RuntimeError as exc:
        # netCDF-C reports a failed write as "NetCDF: HDF error", not as the OSError beneath it;
        # a full disk is the user's to fix, so it is one line like ENOSPC, any other stays a bug
        full = _disk_full(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        if full:
            raise SpecError(f"{_where(out)} cannot be written ({os.strerror(errno.ENOSPC)}: {exc})") from None
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _disk_full(folder: Path, margin: int = 1 << 20) -> bool:
    """Whether the file system holding ``folder`` has less than ``margin`` bytes left for us."""
    try:
        return shutil.disk_usage(folder).free < margin
    except OSError:
        return False


def _link_missing(src: Path, dst: Path) -> None:
    """Hard-link (or copy) into ``dst`` every file of ``src`` that ``dst`` does not have."""
    for entry in src.iterdir():
        target = dst / entry.name
        if os.path.lexists(target):
            if entry.is_dir() and not entry.is_symlink() and target.is_dir():
                _link_missing(entry, target)
        elif entry.is_dir() and not entry.is_symlink():
            target.mkdir()
            _link_missing(entry, target)
        else:
            try:
                os.link(entry, target, follow_symlinks=False)
            except OSError:  # another device, or a file system without hard links
                shutil.copy2(entry, target, follow_symlinks=False)
