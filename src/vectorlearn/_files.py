"""Atomic file writes: readers see the old file or the whole new one, never half of it."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager


@contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a new file beside ``path`` for writing; on success rename it over ``path``.

    On any error the temporary file is removed and ``path`` is left as it was. The new file gets
    the usual permissions (0o666 less the umask), as ``open(path, "w")`` would give it.
    """
    path = os.fspath(path)
    tmp = os.path.join(
        os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp"
    )
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, mode) as file:
            yield file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
