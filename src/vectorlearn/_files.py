"""Atomic file writes: readers see the old file or the whole new one, never half of it.

:func:`atomic_write` writes a temporary file beside the target and renames it over the target.
A rename replaces whatever the name points to, so before writing it looks at what is there:

- a symbolic link is followed: the file it points to is written and the link stays;
- a regular file keeps its permission bits (and, when running as root, its owner and group);
- anything else (a folder, a device such as ``/dev/null``, a FIFO, a socket) is refused, as is
  a regular file with more than one hard link (renaming over it would leave the other links
  holding the old content): ``ValueError`` naming the path and the reason.

A process killed while writing leaves its temporary file, ``.NAME.<32 hex digits>.tmp``, beside
the target; :func:`remove_stale_temporaries` removes them (only safe while no other process
writes there, e.g. under a run folder's lock).
"""

from __future__ import annotations

import os
import re
import stat
import uuid
from contextlib import contextmanager

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{32}\.tmp$")


def _kind(mode: int) -> str | None:
    """What a file of ``mode`` is, when it is not a regular file."""
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def resolve_target(path) -> tuple[str, os.stat_result | None]:
    """The file an atomic write of ``path`` replaces, and its ``lstat`` (None if absent).

    Follows symbolic links; raises ``ValueError`` for a target that must not be replaced.
    """
    path = os.fspath(path)
    target = os.path.realpath(path) if os.path.islink(path) else path
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return target, None
    except OSError as error:  # e.g. a loop of symbolic links
        raise ValueError(f"cannot write {path}: {error.strerror or error}") from None
    shown = path if target == path else f"{path} (a link to {target})"
    if stat.S_ISLNK(info.st_mode):
        raise ValueError(f"cannot write {shown}: the symbolic links form a loop")
    kind = _kind(info.st_mode)
    if kind is not None:
        raise ValueError(
            f"cannot write {shown}: it is {kind}, not a regular file, and writing replaces the "
            "file whole; give the path of a regular file or of a new one"
        )
    if info.st_nlink > 1:
        raise ValueError(
            f"cannot write {shown}: it has {info.st_nlink} hard links, and replacing it would "
            "leave the other links holding the old content; remove the other links or write to "
            "another path"
        )
    return target, info


def _temporary_name(target: str) -> str:
    folder = os.path.dirname(os.path.abspath(target))
    return os.path.join(folder, f".{os.path.basename(target)}.{uuid.uuid4().hex}.tmp")


def check_writable(path) -> None:
    """Raise ``ValueError`` unless :func:`atomic_write` could write ``path`` now.

    Checks what is at ``path`` (as :func:`atomic_write` does) and creates and removes a
    temporary file in the target's folder, which proves the folder exists and is writable: a
    long computation can check its output paths before it starts.
    """
    target, _ = resolve_target(path)
    probe = _temporary_name(target)
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        shown = os.fspath(path) if target == os.fspath(path) else f"{path} (a link to {target})"
        raise ValueError(f"cannot write {shown}: {error.strerror or error}") from None
    os.remove(probe)


@contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a new file beside ``path``'s target for writing; on success rename it over it.

    On any error the temporary file is removed and ``path`` is left as it was. A new file gets
    the usual permissions (0o666 less the umask), as ``open(path, "w")`` would give it; an
    existing one keeps its permission bits (and its owner and group when running as root). See
    the module's docstring for links and for what is refused (``ValueError``).
    """
    target, existing = resolve_target(path)
    tmp = _temporary_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as error:  # name the file asked for, not the temporary one
        raise type(error)(error.errno, error.strerror, os.fspath(path)) from None
    try:
        if existing is not None:
            _copy_ownership_and_mode(fd, existing)
        with os.fdopen(fd, mode) as file:
            yield file
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _copy_ownership_and_mode(fd: int, existing: os.stat_result) -> None:
    if hasattr(os, "fchown"):
        if os.geteuid() == 0:
            os.fchown(fd, existing.st_uid, existing.st_gid)
        elif existing.st_gid != os.getegid():
            try:  # an owner may give the file any group it belongs to
                os.fchown(fd, -1, existing.st_gid)
            except OSError:
                pass
    if hasattr(os, "fchmod"):  # after chown, which may clear set-id bits
        os.fchmod(fd, stat.S_IMODE(existing.st_mode))


def remove_stale_temporaries(folder, names) -> list[str]:
    """Remove the temporary files :func:`atomic_write` left in ``folder`` for ``names``.

    A process killed while writing ``folder/NAME`` leaves ``folder/.NAME.<hex>.tmp``; call this
    only when no other process can be writing there (e.g. under a lock). Returns the paths
    removed.
    """
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry)
        if match and match["name"] in names:
            path = os.path.join(folder, entry)
            if os.path.isfile(path) and not os.path.islink(path):
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
                else:
                    removed.append(path)
    return removed
