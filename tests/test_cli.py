"""The command line, run as a user runs it: a subprocess, exit codes, stdout and stderr."""

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # train writes runs/<timestamp> into the working folder


def vectorlearn(*args, check=False):
    return subprocess.run(
        [sys.executable, "-m", "vectorlearn", *args], capture_output=True, text=True, check=check
    )


def test_train_with_no_arguments_trains_on_the_builtin_data():
    result = vectorlearn("train")
    assert result.returncode == 0, result.stderr
    assert "cost" in result.stderr  # the cost is printed as it trains
    assert "breast_cancer" in result.stdout and "validation" in result.stdout
    assert "Traceback" not in result.stderr
    (run,) = Path("runs").iterdir()  # and it wrote a run folder
    assert {p.name for p in run.iterdir()} >= {"model.npz", "metrics.json"}


def test_train_json_is_one_object_with_the_promised_fields():
    result = vectorlearn("train", "--json", "--quiet")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["model"] == "LogisticRegression" and report["dataset"] == "breast_cancer"
    for split in ("train", "validation"):
        assert set(report[split]) >= {"accuracy", "log_loss", "roc_auc", "confusion_matrix"}
        assert 0.9 <= report[split]["accuracy"] <= 1.0
    assert result.stderr == ""


@pytest.mark.parametrize("solver", ["gd", "lbfgs"])
def test_train_other_datasets_and_solvers(solver):
    result = vectorlearn("train", "--dataset", "iris", "--solver", solver, "--json", "--quiet")
    assert json.loads(result.stdout)["validation"]["accuracy"] > 0.85


def test_help_explains_every_option():
    top = vectorlearn("--help", check=True).stdout
    assert "train" in top
    text = vectorlearn("train", "--help", check=True).stdout
    for option in ("--dataset", "--solver", "--learning-rate", "--epochs", "--json", "--quiet"):
        assert option in text


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--learning-rate", "-1"],
        ["train", "--learning-rate", "fast"],
        ["train", "--epochs", "0"],
        ["train", "--validation-fraction", "1.5"],
        ["train", "--dataset", "nope"],
        ["frobnicate"],
    ],
)
def test_bad_options_exit_2_without_a_traceback(args):
    result = vectorlearn(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.strip()


HELP_IMPORTS = """
import sys
from vectorlearn.cli import main
try:
    main(["--help"])
except SystemExit as stop:
    assert stop.code == 0, stop.code
heavy = [m for m in ("numpy", "scipy", "pandas", "sklearn") if m in sys.modules]
print("heavy:", heavy)
"""


def test_help_lists_every_command_without_importing_the_heavy_libraries():
    from vectorlearn.cli._arguments import COMMANDS

    run = subprocess.run([sys.executable, "-c", HELP_IMPORTS], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith("heavy: []"), run.stdout[-500:]
    for name, line in COMMANDS.items():
        assert name in run.stdout and line.split()[0] in run.stdout


def test_the_light_parser_lists_the_same_commands_as_the_full_one():
    import argparse

    from vectorlearn.cli._parser import build_parser

    def commands(parser):
        (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return [(c.dest, c.help) for c in action._choices_actions]

    full = commands(build_parser())
    assert commands(build_parser(None)) == full
    assert commands(build_parser("predict")) == full
    with pytest.raises(SystemExit):  # an unknown command is refused by the light parser too
        build_parser("trian").parse_args(["trian"])
