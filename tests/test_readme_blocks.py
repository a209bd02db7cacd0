"""Every code block of the README runs, and every console transcript prints what it shows.

Python blocks run in README order, each in a namespace that starts as a copy of the one its
prerequisite (``BLOCKS``) left, so a block that uses the ``X`` or the ``model`` of an earlier one
runs after it, once (the namespaces are kept for the module). They run in one temporary folder,
with warnings recorded: a convergence warning, or any warning the block's own code causes, fails.
A block that needs an optional extra skips, naming it, where the extra is absent.

Console blocks run their ``$`` commands in order in one temporary folder (a module fixture, so the
patient model trains once): ``vectorlearn ...`` in this process through ``vectorlearn.cli.main``,
``python examples/...`` with ``runpy``, anything else (``head``) as a subprocess. What a command
prints (stdout and stderr together, as a terminal shows them) must match the lines under it:

- a line ``...`` matches any run of lines (none included), ``...`` inside a line the rest of the
  line (or any text, when more follows it);
- a run folder ``runs/<timestamp>`` matches any other, and later commands use the one this run
  made;
- a number with a decimal point or an exponent matches within ``PRECISION`` (relative above 1),
  so a transcript survives another CPU's rounding but not a changed result; every other character,
  whole numbers included, must be equal.

Every block of the README is listed in ``BLOCKS`` or ``NOT_RUN`` (with the reason), so a new block
fails ``test_every_block_is_listed`` until it is given a test.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import difflib
import functools
import importlib.util
import io
import os
import re
import runpy
import shlex
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PRECISION = 1e-3
HEADING = re.compile(r"^#{2,3} (.+)$")
FENCE = re.compile(r"^```(\w*)$")
RUN_FOLDER = re.compile(r"runs/\d{8}-\d{6}(?:-\d+)?")
FLOAT = r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+"
FLOAT_OR_TEXT = re.compile(f"({FLOAT})")


@dataclass(frozen=True)
class Block:
    """One fenced block: ``name`` is its section's heading and its number among the section's
    blocks (``"Deep networks #2"``); ``line`` is where its code starts."""

    name: str
    language: str
    code: str
    line: int


def readme_blocks() -> list[Block]:
    blocks, section, counts, lines = [], None, {}, README.read_text().splitlines()
    i = 0
    while i < len(lines):
        heading, fence = HEADING.match(lines[i]), FENCE.match(lines[i])
        if heading:
            section = heading[1]
        elif fence:
            end = lines.index("```", i + 1)
            language = fence[1]
            n = counts[section] = counts.get(section, 0) + 1
            code = "\n".join(lines[i + 1 : end]) + "\n"
            blocks.append(Block(f"{section} #{n}", language, code, i + 2))
            i = end
        i += 1
    return blocks


# ---- the python blocks ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """How a python block runs: after ``after`` (the block whose namespace it continues), where
    the modules ``needs`` are installed (else it skips, naming them), with ``setup`` run first in
    that namespace (files the block reads), then ``check`` on its namespace (the README's claims
    about its result; ``_`` is the value of its last line when that is an expression)."""

    after: str | None = None
    needs: tuple[str, ...] = ()
    setup: str = ""
    check: str = ""
    runs_here: Callable[[], bool] = lambda: True  # where False, it skips: the reason in NOT_RUN


BLOCKS = {
    "Using the library #1": Run(
        check="assert _[0].shape == (3, 2) and 0 < _[1] < 0.1  # probabilities, the last cost",
    ),
    "Deep networks #1": Run(
        after="Using the library #1",
        check="assert model.best_epoch_ <= len(model.loss_curve_)\n"
        "assert 'total parameters: 4097' in _printed",
    ),
    "Deep networks #2": Run(check="assert max(_) < 1e-8  # relative errors, ~1e-10"),
    "Inside scikit-learn #1": Run(
        after="Using the library #1", check="assert search.best_score_ > 0.95"
    ),
    "Saving and loading #1": Run(
        after="Deep networks #1",  # the network is the `model` a reader has at this point
        check="assert _ == {'trained_on': 'breast cancer'}\n"
        "assert type(model).__name__ == 'MLPClassifier'",
    ),
    "Exporting to ONNX #2": Run(
        after="Saving and loading #1",
        needs=("onnx", "onnxruntime"),
        check="import os\nassert os.path.getsize('model.onnx') > 0",
    ),
    "GPUs and clusters #1": Run(
        after="Deep networks #1",
        needs=("torch",),
        runs_here=lambda: (  # the driver first: importing torch takes seconds
            os.path.exists("/proc/driver/nvidia") and __import__("torch").cuda.is_available()
        ),
        check="import numpy as np\nassert isinstance(_, np.ndarray)  # NumPy in, NumPy out\n"
        "assert model.predict_proba(X_gpu).device.type == 'cuda'  # a CUDA tensor",
    ),
    "GPUs and clusters #2": Run(
        after="Using the library #1",
        needs=("jax",),
        check="import jax\nassert isinstance(_, jax.Array) and _.shape == (3, 2)\n"
        "assert isinstance(model.coefs_[0], jax.Array)  # trained where the data live",
    ),
    "GPUs and clusters #3": Run(
        after="Using the library #1",
        needs=("dask", "distributed", "zarr"),
        setup=(  # the zarr stores it reads: breast cancer, in blocks of 100 rows
            "import dask.array as _da\n"
            "_da.from_array(X, chunks=(100, -1)).to_zarr('features.zarr', overwrite=True)\n"
            "_da.from_array(y, chunks=100).to_zarr('labels.zarr', overwrite=True)\n"
        ),
        check="assert model.score(X.compute(), y.compute()) > 0.95",  # the cluster: see namespaces
    ),
}
# The blocks no test runs, or runs only somewhere, and why.
NOT_RUN = {
    "Quick start #1": "installs the package (pip); CI's .ci/run runs these two commands "
    "(test_readme.py checks it does), and test_quick_start_train runs `vectorlearn train`",
    "Exporting to ONNX #1": "installs the onnx extra (pip); the python block after it runs",
    "GPUs and clusters #1": "needs a CUDA GPU (torch.cuda.is_available()); it runs where one is",
    "The playground #1": "installs the extra and starts a server that opens a browser; "
    "tests/test_playground.py drives that page in headless Chromium",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("readme")


@pytest.fixture(scope="module")
def namespaces(folder):
    """``namespace(name)``: the namespace block ``name`` leaves, run once with its
    prerequisites (a copy of the prerequisite's, so a later block cannot change it). At the end,
    the Dask client and cluster a block started are closed."""
    made = []

    @functools.cache
    def namespace(name):
        run = BLOCKS[name]
        missing = [m for m in run.needs if importlib.util.find_spec(m) is None]
        if missing:
            pytest.skip(f"needs {', '.join(missing)} (not installed): README block {name!r}")
        if not run.runs_here():
            pytest.skip(f"README block {name!r}: {NOT_RUN[name]}")
        ns = copy.copy(namespace(run.after)) if run.after else {"__name__": "__main__"}
        block = next(b for b in readme_blocks() if b.name == name)
        made.append(ns)
        with _chdir(folder):
            exec(run.setup, ns)
            printed = _run_python(block, ns)
        return {**ns, "_printed": printed}

    yield namespace
    for client in {id(ns["client"]): ns["client"] for ns in made if "client" in ns}.values():
        client.close()
        client.cluster.close()


def _run_python(block: Block, ns: dict) -> str:
    """Run ``block`` in ``ns``; ``ns["_"]`` is its last line's value; returns what it printed.
    Fails on a convergence warning or on any warning that the block's own lines cause."""
    tree = ast.parse(block.code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    where = f"README.md, block {block.name!r} (line {block.line})"
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        exec(compile(ast.Module(tree.body, []), where, "exec"), ns)
        if last is not None:
            ns["_"] = eval(compile(ast.Expression(last.value), where, "eval"), ns)
    bad = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if issubclass(w.category, ConvergenceWarning) or w.filename == where
    ]
    assert not bad, f"{where} warns:\n" + "\n".join(bad)
    return out.getvalue()


PYTHON = [b.name for b in readme_blocks() if b.language == "python"]


@pytest.mark.parametrize("name", PYTHON)
def test_python_block_runs(name, namespaces, folder):
    ns = namespaces(name)
    with _chdir(folder):
        exec(BLOCKS[name].check, ns)


def test_every_block_is_listed():
    """Each python block has its entry in BLOCKS; each other block (bash) is run by a console
    test or listed in NOT_RUN with its reason."""
    blocks = readme_blocks()
    assert sorted(b.name for b in blocks if b.language == "python") == sorted(BLOCKS)
    others = {b.name for b in blocks if b.language not in ("python", "console")}
    assert others <= set(NOT_RUN), f"give these README blocks a test: {others - set(NOT_RUN)}"
    assert {b.language for b in blocks} <= {"python", "console", "bash"}


# ---- the console blocks --------------------------------------------------------------------------
def line_matches(expected: str, actual: str) -> bool:
    """One line: ``...`` is any text, run folders are equal, numbers with a decimal point or an
    exponent agree within ``PRECISION``, the rest is equal."""
    expected, actual = RUN_FOLDER.sub("runs/RUN", expected), RUN_FOLDER.sub("runs/RUN", actual)
    pattern, numbers = [], []
    for k, segment in enumerate(expected.rstrip().split("...")):
        if k:
            pattern.append(".*?" if segment else ".*")
        for j, part in enumerate(FLOAT_OR_TEXT.split(segment)):
            if j % 2:
                pattern.append(f"({FLOAT})")
                numbers.append(float(part))
            else:
                pattern.append(re.escape(part))
    found = re.fullmatch("".join(pattern), actual.rstrip())
    return bool(found) and all(
        abs(float(a) - e) <= PRECISION * max(1.0, abs(e)) for e, a in zip(numbers, found.groups())
    )


def lines_match(expected: list[str], actual: list[str]) -> bool:
    """``expected`` matches ``actual`` line by line; a line ``...`` matches any run of lines."""

    @functools.cache
    def match(i, j):
        if i == len(expected):
            return j == len(actual)
        if expected[i].strip() == "...":
            return any(match(i + 1, k) for k in range(j, len(actual) + 1))
        return j < len(actual) and line_matches(expected[i], actual[j]) and match(i + 1, j + 1)

    return match(0, 0)


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        ("cost 0.913...", "cost 0.913412  validation 1.0", True),
        ("cost 0.913...", "cost 0.920000", False),  # beyond PRECISION
        ("8 columns (a, ...); categorical: c", "8 columns (a, b, d); categorical: c", True),
        ("337 train", "338 train", False),  # whole numbers are exact
        ("1450,benign,0.9107553", "1450,benign,0.9109", True),
        ("p 6.2e-08", "p 2.5e-10", True),  # within PRECISION of each other
        ("run folder: runs/20261126-084527", "run folder: runs/20270101-000000-2", True),
    ],
)
def test_line_matcher(expected, actual, matches):
    assert line_matches(expected, actual) is matches


def test_lines_matcher_elides_runs_of_lines():
    assert lines_match(["a", "...", "d"], ["a", "b", "c", "d"])
    assert lines_match(["a", "...", "b"], ["a", "b"])
    assert not lines_match(["a", "...", "d"], ["a", "b"])
    assert not lines_match(["a"], ["a", "b"])


@dataclass
class Command:
    line: int
    command: str
    expected: list[str]


def console_commands(block: Block) -> list[Command]:
    commands = []
    for k, text in enumerate(block.code.splitlines()):
        if text.startswith("$ "):
            commands.append(Command(block.line + k, text[2:], []))
        else:
            assert commands, f"README line {block.line + k}: output before the first `$ `"
            commands[-1].expected.append(text)
    return commands


def run_command(command: str) -> tuple[int, str]:
    """Run one transcript command in the current folder; return its status and what it printed
    (stdout and stderr together), with warnings shown as Python shows them."""
    argv = shlex.split(command)
    out = io.StringIO()
    if argv[0] not in ("vectorlearn", "python"):
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return done.returncode, done.stdout
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(out))
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("default")
        for quiet in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
            warnings.simplefilter("ignore", quiet)  # hidden by default, as in a shell
        warnings.simplefilter("ignore", ResourceWarning)
        warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: (
            out.write(warnings.formatwarning(message, category, filename, lineno, line))
        )
        if argv[0] == "vectorlearn":
            from vectorlearn.cli import main

            status = main(argv[1:])
        else:
            assert argv[1].startswith("examples/"), f"python runs the examples only: {command}"
            stack.enter_context(_argv(argv[1:]))
            runpy.run_path(str(ROOT / argv[1]), run_name="__main__")
            status = 0
    return status, out.getvalue()


@contextlib.contextmanager
def _chdir(folder):  # contextlib.chdir, from Python 3.11
    saved = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(saved)


@contextlib.contextmanager
def _argv(argv):
    saved, sys.argv = sys.argv, list(argv)
    try:
        yield
    finally:
        sys.argv = saved


CONSOLE = [b for b in readme_blocks() if b.language == "console"]


@pytest.fixture(scope="module")
def console_runs(tmp_path_factory):
    """Every console block's commands, run once, in README order, in one folder (a later block
    uses the files and the run folder an earlier one made: the transcript's run folder is
    replaced by this run's): ``{block name: [(command, status, printed), ...]}``."""
    folder, run_folders, runs = tmp_path_factory.mktemp("console"), {}, {}
    with _chdir(folder):
        for block in CONSOLE:
            runs[block.name] = []
            for command in console_commands(block):
                text = command.command
                for theirs, ours in run_folders.items():
                    text = text.replace(theirs, ours)
                status, printed = run_command(text)
                runs[block.name].append((command, status, printed))
                theirs = RUN_FOLDER.findall("\n".join(command.expected))
                run_folders.update(zip(theirs, RUN_FOLDER.findall(printed)))
    return runs


@pytest.mark.parametrize("name", [b.name for b in CONSOLE])
def test_console_block_prints_its_transcript(name, console_runs):
    for command, status, printed in console_runs[name]:
        actual = printed.splitlines()
        where = f"README.md line {command.line}: `$ {command.command}`"
        assert status == 0, f"{where} exits with {status}:\n{printed}"
        diff = difflib.unified_diff(command.expected, actual, "README", "now", lineterm="")
        diff = "\n".join(diff)
        assert lines_match(command.expected, actual), f"{where} prints otherwise:\n{diff}"


def test_quick_start_train(tmp_path, monkeypatch):
    """`vectorlearn train` alone: the cost as it trains, then train and validation accuracy
    and log-loss (README, Quick start)."""
    monkeypatch.chdir(tmp_path)
    status, printed = run_command("vectorlearn train")
    assert status == 0, printed
    assert lines_match(
        [
            "...",
            "epoch     1  cost ...",
            "...",
            "LogisticRegression on breast_cancer ...",
            "                   train  validation",
            "accuracy ...",
            "log-loss ...",
            "...",
        ],
        printed.splitlines(),
    ), printed
    assert "Warning" not in printed, printed
