"""The course's Titanic labs: the data they train on, and a checker for a student's file.

``labs/`` in the repository holds the exercises (functions whose bodies say ``# your code
here``); this package ships what they need after ``pip install``: the passenger data
(:func:`titanic_csv`) and :func:`check_lab`, which imports a student's file, tests each function
in the order the lab asks for them, and names the first one that is wrong, and how.

    lab1  logistic regression with weights in a ``dict``, one passenger at a time (SGD)
    lab2  a deep network in NumPy: ``X`` (n_features, m), ``W_l`` (N_{l-1}, N_l), full batch

>>> ok, report = check_lab("lab1", titanic_csv())  # a CSV file is no lab solution
Traceback (most recent call last):
    ...
vectorlearn.labs.LabInputError: ...titanic.csv is not a Python file (.py)
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import traceback
import uuid
from importlib import resources
from pathlib import Path

from ..cli._arguments import COMMANDS
from . import _check_lab1, _check_lab2
from ._checking import Mismatch

LABS = {
    "lab1": ("logistic regression with weights in a dict, one passenger at a time", _check_lab1),
    "lab2": ("a deep network in NumPy, every passenger at once", _check_lab2),
}


class LabInputError(ValueError):
    """The lab's name or the student's file cannot be used: unknown lab, missing file, a file
    that is not Python, a syntax error, or an error while importing it."""


def titanic_csv() -> Path:
    """The path of the Titanic passenger data that ships with vectorlearn (1309 rows).

    Columns: ``pclass`` (1st, 2nd, 3rd), ``survived`` (died, survived), ``sex`` (female,
    male), ``age`` (years; empty for 263 passengers), ``sibsp``, ``parch``. The source and
    licence are in the repository's ``labs/README.md``.

    >>> titanic_csv().read_text().splitlines()[:2]
    ['pclass,survived,sex,age,sibsp,parch', '1st,survived,female,29,0,0']
    """
    return Path(str(resources.files(__name__) / "data" / "titanic.csv"))


def check_lab(name: str, path) -> tuple[bool, str]:
    """Check a student's file for lab ``name``; return ``(ok, report)``.

    Imports the file at ``path`` and runs the lab's checks in order: shapes, values against the
    reference on small inputs, gradients against finite differences. It stops at the first
    function that is missing, unwritten (raises ``NotImplementedError``), raises, or returns
    something wrong, and the report names it: expected and got, with their shapes. ``ok`` is
    true when every function passes. Raises :class:`LabInputError` when ``name`` is not a lab
    or the file cannot be imported.
    """
    if name not in LABS:
        raise LabInputError(f"unknown lab {name!r}; choose one of {', '.join(sorted(LABS))}")
    title, checks = LABS[name]
    path = Path(path)
    module = _import_student_file(path)
    lines = [f"{name}: {title}", f"checking {path}"]
    width = max(len(function) for function, _ in checks.CHECKS)
    for passed, (function, check) in enumerate(checks.CHECKS):
        problem = None
        if not callable(getattr(module, function, None)):
            problem = f"not defined in {path.name}: the lab needs a function named {function}"
        else:
            try:
                detail = check(module)
            except Mismatch as mismatch:
                problem = str(mismatch)
            except NotImplementedError:
                problem = "not written yet (it raises NotImplementedError): fill in its body"
            except (Exception, SystemExit) as error:  # the student's code raised: say where
                problem = _describe_error(error, path)
        if problem is not None:
            lines.append(f"FAIL  {function.ljust(width)}  " + _indent(problem, width + 8))
            lines.append(
                f"{function} is the first function to fix "
                f"({passed} of {len(checks.CHECKS)} passed)."
            )
            return False, "\n".join(lines)
        lines.append(f"ok    {function.ljust(width)}  {detail}")
    lines.append(f"all {len(checks.CHECKS)} functions pass: run `python {path.name}` to train.")
    return True, "\n".join(lines)


def add_check_lab_parser(commands, common) -> argparse.ArgumentParser:
    """Add the ``check-lab`` subcommand to ``commands`` (argparse subparsers)."""
    parser = commands.add_parser(
        "check-lab",
        parents=[common],
        help=COMMANDS["check-lab"],
        description=(
            "Import FILE (your copy of a lab from the repository's labs/ folder), test its "
            "functions in the lab's order (shapes, values against the reference on small "
            "inputs, gradients against finite differences) and stop at the first one that is "
            "wrong, saying how. Exit status: 0 all pass, 1 a check failed, 2 FILE cannot be "
            "used (missing, not Python, a syntax error). "
            + "; ".join(f"{name}: {title}" for name, (title, _) in LABS.items())
        ),
    )
    parser.add_argument("lab", choices=sorted(LABS), metavar="LAB", help=", ".join(LABS))
    parser.add_argument("file", metavar="FILE", help="your lab file, e.g. lab1_titanic_dict_sgd.py")
    return parser


def run_check_lab(args) -> tuple[str, bool]:
    """Run ``vectorlearn check-lab`` for parsed ``args``: the report, and whether all passed.

    Raises :class:`LabInputError` (a ValueError: the command line exits with 2) when the file
    cannot be used.
    """
    ok, report = check_lab(args.lab, args.file)
    return report, ok


def _import_student_file(path: Path):
    """Import the file at ``path`` as a fresh module (its ``__main__`` block does not run)."""
    if not path.is_file():
        raise LabInputError(f"no such file: {path}")
    if path.suffix != ".py":
        raise LabInputError(f"{path} is not a Python file (.py)")
    source = path.read_text(encoding="utf-8", errors="replace")
    try:
        compile(source, str(path), "exec")
    except SyntaxError as error:
        where = f"line {error.lineno}" if error.lineno else "somewhere"
        raise LabInputError(f"{path.name} has a syntax error at {where}: {error.msg}") from None
    module_name = f"_vectorlearn_lab_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look a module up here
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        raise LabInputError(
            f"{path.name} could not be imported: {_describe_error(error, path)}"
        ) from None
    finally:
        sys.modules.pop(module_name, None)
    return module


def _describe_error(error: BaseException, path: Path) -> str:
    """``raised KeyError: 'age' at lab1.py line 40: `k += weights[name] * value```."""
    text = f"raised {type(error).__name__}: {error}".rstrip(": ")
    frames = [
        f
        for f in traceback.extract_tb(error.__traceback__)
        if Path(f.filename).resolve() == path.resolve()
    ]
    if frames:
        frame = frames[-1]
        text += f" at {path.name} line {frame.lineno}"
        if frame.line:
            text += f": `{frame.line.strip()}`"
    return text


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)


__all__ = [
    "LABS",
    "LabInputError",
    "add_check_lab_parser",
    "check_lab",
    "run_check_lab",
    "titanic_csv",
]
