"""``run.json``: the data and options a run was started with, which ``--resume`` takes or
checks."""

from __future__ import annotations

import hashlib
import json
import os

from .._files import atomic_write
from .._version import __version__
from ._options import RUN_OPTIONS, run_options
from ._run_folder import RUN_FILE

RUN_FORMAT, RUN_FORMAT_VERSION = "vectorlearn-run", 1
ROLE_LISTS = ("drop", "categorical", "numeric", "text")


def write_run_file(out, args, prepared) -> None:
    data = {
        "format": RUN_FORMAT,
        "format_version": RUN_FORMAT_VERSION,
        "vectorlearn": __version__,
        "data": args.data,
        "data_path": None if args.data is None else os.path.abspath(args.data),
        "data_sha256": _sha256(args.data) if args.data and os.path.isfile(args.data) else None,
        "options": run_options(args, prepared.task),
    }
    with atomic_write(os.path.join(out, RUN_FILE), "w") as f:
        json.dump(data, f, indent=2)


def read_run_file(folder) -> dict | None:
    path = os.path.join(folder, RUN_FILE)
    if not os.path.lexists(path):
        return None
    if not os.path.isfile(path):
        raise ValueError(f"{path} is not a regular file, so not vectorlearn's run file")
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError, RecursionError) as error:
        raise ValueError(f"{path} cannot be read as vectorlearn's run file ({error})") from None
    if not (
        isinstance(data, dict)
        and data.get("format") == RUN_FORMAT
        and isinstance(data.get("options"), dict)
        and isinstance(data.get("format_version"), int)
    ):
        raise ValueError(f"{path} is not a vectorlearn run file")
    if data["format_version"] > RUN_FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer vectorlearn (run format {data['format_version']}); "
            "upgrade vectorlearn to resume it"
        )
    return data


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _not_given(value) -> bool:
    return value is None or value is False or (isinstance(value, list) and not value)


def _comparable(name, value):
    if name == "hidden" and value is not None:
        return [int(n) for n in value]
    if name in ROLE_LISTS:
        return sorted(value or [])
    return value


def _shown(flag, value) -> str:
    if flag == "--hidden" and value is not None:
        return f"{flag} {','.join(map(str, value)) or 'none'}"
    if value is True:
        return flag
    if _not_given(value):
        return f"(no {flag})"
    if isinstance(value, (list, tuple)):
        return f"{flag} {','.join(map(str, value))}"
    return f"{flag} {value}"


def take_stored_options(args, stored: dict) -> None:
    """``--resume``: an option left out takes the run's value; one given must equal it. A run
    whose options have no ``text`` was made before prose was detected as text (it was dropped
    as free text): it resumes so (``args.detect_text``), or its first layer would not fit."""
    options = stored["options"]
    args.detect_text = "text" in options
    was, given = [], []
    for name, flag in RUN_OPTIONS.items():
        if name not in options:
            continue
        value = getattr(args, name)
        if _not_given(value):
            value = options[name]
            setattr(args, name, tuple(value) if name == "hidden" and value is not None else value)
        elif _comparable(name, value) != _comparable(name, options[name]):
            was.append(_shown(flag, options[name]))
            given.append(_shown(flag, value))
    if was:
        raise ValueError(
            f"--resume: this run was started with {' '.join(was)}; you gave {' '.join(given)}; "
            "resume with the same options, or leave them out to use the run's"
        )
    data = stored.get("data")
    if data is None:
        if args.data is not None:
            raise ValueError(
                f"--resume: this run was started on the built-in data set "
                f"{options.get('dataset')}, not on a file; leave DATA out"
            )
        return
    digest = stored.get("data_sha256")
    if args.data is None:  # the name as given, else the absolute path: the one with that content
        found = [p for p in (data, stored.get("data_path")) if p and os.path.isfile(p)]
        if not found:
            raise ValueError(
                f"--resume: this run was started on {data}, which is no longer there; give DATA"
            )
        same = [p for p in found if not digest or _sha256(p) == digest]
        args.data = (same or found)[0]
        if same:
            return
    if digest and os.path.isfile(args.data) and _sha256(args.data) != digest:
        raise ValueError(
            f"--resume: {args.data} is not the data this run was started on ({data}: the "
            "content differs); resume with the same file"
        )
