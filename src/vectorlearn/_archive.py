"""The archive behind model files and checkpoints: JSON metadata plus NumPy arrays in one ``.npz``.

Reading trusts nothing and decompresses nothing it has not checked first:

1. the path must be a regular file (not a device, a FIFO or a folder), a zip with a bounded
   number of ``.npy`` entries;
2. ``__metadata__`` is read first, within ``MAX_METADATA_BYTES``, and its JSON must nest less
   than ``MAX_JSON_DEPTH`` deep and name the expected format and a version this library reads;
3. every other entry's ``.npy`` header is read (a few hundred bytes), giving its shape and dtype
   *before* its data: no pickled (object) arrays, no complex, date or structured types, and a
   declared size that matches the zip's uncompressed size;
4. the caller's ``check(meta, specs)`` sees the metadata and those shapes, and refuses anything
   that does not fit the model it describes (an unused entry, a shape the architecture does not
   declare), and the total size must stay under ``max_bytes``;
5. only then are the arrays read, with ``allow_pickle=False``.

So a small file cannot make ``load`` allocate gigabytes, and nothing in a file is executed.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import zipfile
from collections.abc import Callable

import numpy as np

from ._files import atomic_write
from ._version import __version__

METADATA = "__metadata__"
MAX_METADATA_BYTES = 16 * 2**20  # the JSON text: a model's is a few kilobytes
MAX_JSON_DEPTH = 64  # vectorlearn's own metadata nests fewer than 15 levels
MAX_ENTRIES = 100_000
DEFAULT_MAX_BYTES = 2 * 2**30  # all arrays of one file together; load(..., max_bytes=) changes it
ALLOWED_KINDS = "biufU"  # bool, integers, floats, fixed-width text: never objects (pickle)


class ArraySpec:
    """An archive entry's declared ``shape`` and ``dtype``, read from its header alone."""

    __slots__ = ("dtype", "shape")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype):
        self.shape, self.dtype = shape, dtype

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def __repr__(self) -> str:
        return f"ArraySpec({self.shape}, {self.dtype})"


def write_archive(path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` (JSON) and ``arrays`` as one ``.npz``, atomically."""
    arrays = {**arrays, METADATA: np.array(json.dumps(meta))}
    with atomic_write(path) as file:
        np.savez(file, **arrays)


def read_archive(
    path,
    fmt: str,
    version: int,
    what: str,
    check: Callable[[dict, dict[str, ArraySpec]], None] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
):
    """The checked JSON metadata and arrays of an archive of format ``fmt``.

    ``check(meta, specs)`` is called with the metadata and every entry's :class:`ArraySpec`
    before any array is decompressed; it raises ``ValueError`` to refuse the file. Every
    problem, including a corrupt or hostile file, is a ``ValueError`` naming ``path``.
    """
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ValueError(f"{path}: no such {what} file") from None
    except OSError as error:
        raise ValueError(f"{path}: cannot read it ({error.strerror})") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"{path} is not a regular file, so not a vectorlearn {what} file")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = _entries(archive, path, what)
            meta = _metadata(archive, entries.pop(METADATA, None), path, fmt, version, what)
            specs = {key: _header(archive, info, path, what) for key, info in entries.items()}
            if check is not None:
                check(meta, specs)
            total = sum(spec.nbytes for spec in specs.values())
            if total > max_bytes:
                raise ValueError(
                    f"{path}: its arrays would take {total / 2**30:.1f} GiB, over the limit of "
                    f"{max_bytes / 2**30:.1f} GiB; if you trust the file, raise max_bytes"
                )
            arrays = {key: _array(archive, info, path) for key, info in entries.items()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as e:
        raise ValueError(
            f"{path} is not a vectorlearn {what} file (not a readable .npz archive: {e})"
        ) from None
    return meta, arrays


def _entries(archive: zipfile.ZipFile, path, what) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ValueError(f"{path}: {len(infos)} entries is more than any {what} file holds")
    entries = {}
    for info in infos:
        if not info.filename.endswith(".npy") or info.is_dir():
            raise ValueError(f"{path}: unexpected entry {info.filename!r} in a {what} file")
        key = info.filename[: -len(".npy")]
        if key in entries:
            raise ValueError(f"{path}: the entry {key!r} appears twice")
        entries[key] = info
    return entries


def _metadata(archive, info, path, fmt, version, what) -> dict:
    if info is None:
        raise ValueError(f"{path} is not a vectorlearn {what} file (no {METADATA} entry)")
    if info.file_size > MAX_METADATA_BYTES:
        raise ValueError(f"{path}: its metadata ({info.file_size} bytes) is implausibly large")
    spec = _header(archive, info, path, what)
    if spec.dtype.kind != "U" or spec.shape != ():
        raise ValueError(f"{path}: its metadata is not a JSON text")
    text = str(_array(archive, info, path))
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ValueError(f"{path}: its metadata nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"{path}: its metadata is not valid JSON ({error})") from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(f"{path} is not a vectorlearn {what} file (format {found!r})")
    found = meta.get("format_version")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise ValueError(f"{path}: the format version {found!r} is not a positive whole number")
    if found > version:
        raise ValueError(
            f"{path} was written by vectorlearn {meta.get('vectorlearn_version')!s:.20} in "
            f"{what} format {found}; this vectorlearn ({__version__}) reads format {version} "
            "and older. Upgrade vectorlearn to load it."
        )
    return meta


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def json_depth(text: str) -> int:
    """How deep the brackets of a JSON text nest (strings ignored), without parsing it.

    >>> json_depth('{"a": [1, [2, "]]]"]]}')
    3
    """
    brackets = _STRING.sub("", text).encode()
    steps = np.frombuffer(brackets, dtype=np.uint8)
    change = (np.isin(steps, (ord("["), ord("{")))).astype(np.int64) - np.isin(
        steps, (ord("]"), ord("}"))
    )
    return int(np.cumsum(change).max(initial=0))


def _header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path, what: str) -> ArraySpec:
    """Shape and dtype from the entry's ``.npy`` header, reading only its first bytes."""
    try:
        with archive.open(info) as file:
            major, _ = np.lib.format.read_magic(file)
            if major not in (1, 2):
                raise ValueError(f"unsupported .npy version {major}")
            read = (
                np.lib.format.read_array_header_1_0
                if major == 1
                else (np.lib.format.read_array_header_2_0)
            )
            shape, _fortran, dtype = read(file)
            header_size = file.tell()
    except (ValueError, SyntaxError, TypeError) as error:
        raise ValueError(
            f"{path}: the entry {info.filename!r} is not a NumPy array ({error})"
        ) from None
    if dtype.kind not in ALLOWED_KINDS or dtype.hasobject or dtype.fields is not None:
        raise ValueError(
            f"{path} is not a vectorlearn {what} file: the entry {info.filename!r} holds {dtype} "
            "data, and these files hold only numbers and text (never pickled objects)"
        )
    spec = ArraySpec(tuple(int(n) for n in shape), dtype)
    if header_size + spec.nbytes != info.file_size:
        raise ValueError(
            f"{path}: the entry {info.filename!r} declares shape {spec.shape} of {dtype}, which "
            f"does not match its size ({info.file_size} bytes)"
        )
    return spec


def _array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path) -> np.ndarray:
    try:
        with archive.open(info) as file:
            return np.lib.format.read_array(file, allow_pickle=False)
    except (ValueError, EOFError) as error:
        raise ValueError(f"{path}: the entry {info.filename!r} cannot be read ({error})") from None


def regular_entries(specs: dict[str, ArraySpec], expected: set[str], path) -> None:
    """Refuse entries the metadata does not refer to, and references to missing entries."""
    unused = sorted(set(specs) - expected)
    if unused:
        raise ValueError(
            f"{path}: it holds entries nothing refers to ({', '.join(unused[:5])}); refusing it"
        )
    missing = sorted(expected - set(specs))
    if missing:
        raise ValueError(f"{path}: the arrays {', '.join(missing[:5])} are missing")
