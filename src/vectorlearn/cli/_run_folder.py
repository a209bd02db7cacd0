"""The run folder: made (a new ``runs/<timestamp>`` by default), locked for one run at a time,
checked before training (writable, no earlier run in the way)."""

from __future__ import annotations

import contextlib
import datetime
import os

from .._files import check_writable, remove_stale_temporaries
from ._progress import note

MODEL_FILE = "model.npz"
CHECKPOINT_FILE = "checkpoint.npz"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
PICTURES = ("learning_curve.png", "decision_boundary.png")
LOCK_FILE = ".lock"
RUN_FILES = (MODEL_FILE, CHECKPOINT_FILE, RUN_FILE, METRICS_FILE, *PICTURES)


def make_run_folder(out):
    """Create the run folder (a new ``runs/<timestamp>`` by default); return it and whether
    this call created it."""
    if out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        n = 1
        while True:  # mkdir, not exists-then-mkdir: two runs started in one second get two
            out = os.path.join("runs", stamp if n == 1 else f"{stamp}-{n}")
            try:
                os.makedirs(out)
                return out, True
            except FileExistsError:
                n += 1
            except OSError as error:
                raise OSError(f"cannot create the run folder {out}: {error.strerror}") from None
    created = not os.path.lexists(out)
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise OSError(f"cannot create the run folder {out}: {error.strerror}") from None
    if not os.path.isdir(out) or not os.access(out, os.W_OK):
        raise OSError(f"cannot write to the run folder {out}")
    return out, created


# ---- the run folder: lock, checks, run.json -----------------------------------------------------
@contextlib.contextmanager
def run_lock(folder):
    """Hold an exclusive lock on ``folder`` (``flock`` on ``folder/.lock``) or refuse at once.

    The lock file is removed on the way out; a run that opened it just before that sees that the
    file it locked is no longer the folder's and tries again. A killed run's lock file stays
    behind, unlocked: the kernel releases the lock with the process.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking
        yield
        return
    path = os.path.join(folder, LOCK_FILE)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as error:
            reason = error.strerror or error
            raise OSError(f"cannot create the lock file {path}: {reason}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ValueError(
                f"another vectorlearn run is using the folder {folder} (it holds {path}); wait "
                "for it to finish, or use another folder"
            ) from None
        except OSError as error:
            os.close(fd)
            raise OSError(f"cannot lock {path}: {error.strerror or error}") from None
        opened = os.fstat(fd)
        try:
            now = os.lstat(path)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino):
            break
        os.close(fd)  # the run before us removed the file between our open and our lock
    try:
        yield
    finally:
        remove(path)
        os.close(fd)


def remove(path) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def check_run_folder(out, args, model, *, resume: bool) -> None:
    """Under the lock, before training: clear a killed run's temporary files, check that every
    file the run writes can be written, and (a new run) that no earlier run is in the way."""
    removed = remove_stale_temporaries(out, RUN_FILES)
    if removed:
        note(f"removed {len(removed)} temporary file(s) left by a run that was killed", args.quiet)
    names = [MODEL_FILE, RUN_FILE, METRICS_FILE, *PICTURES]
    if resume or (model.solver != "lbfgs" and args.checkpoint_every):
        names.append(CHECKPOINT_FILE)
    for name in names:
        check_writable(os.path.join(out, name))
    if resume:
        return
    earlier = [name for name in RUN_FILES if os.path.lexists(os.path.join(out, name))]
    if earlier and not args.overwrite:
        raise ValueError(
            f"the folder {out} holds an earlier run ({', '.join(earlier)}); continue it with "
            f"--resume {out}, replace it with --overwrite, or give another --out"
        )
    for name in earlier:
        os.remove(os.path.join(out, name))
