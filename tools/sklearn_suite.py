"""Run scikit-learn's own tests of its MLPs and LogisticRegression on vectorlearn's.

    python tools/sklearn_suite.py [--file mlp|logistic] [-- extra pytest args]

Copies test_mlp.py and test_logistic.py from the installed scikit-learn into a temporary folder,
changes only the line that imports the estimators (vectorlearn's MLPClassifier, MLPRegressor and
LogisticRegression; LogisticRegressionCV and the private helpers stay scikit-learn's), and runs
pytest on them, leaving out the tests listed in tools/sklearn_suite_exclusions.txt. Prints one
summary line per file and exits 1 if a test that is not excluded fails (or errors).
"""

import argparse
import fnmatch
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before SciPy loads, or the array API tests skip
import pytest
import sklearn

EXCLUSIONS = Path(__file__).with_name("sklearn_suite_exclusions.txt")
CATEGORIES = ("private", "solver", "difference")
# key: (file inside scikit-learn, its import line, what replaces it)
FILES = {
    "mlp": (
        "neural_network/tests/test_mlp.py",
        "from sklearn.neural_network import MLPClassifier, MLPRegressor\n",
        "from vectorlearn import MLPClassifier, MLPRegressor\n",
    ),
    "logistic": (
        "linear_model/tests/test_logistic.py",
        "from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, "
        "SGDClassifier\n",
        "from sklearn.linear_model import LogisticRegressionCV, SGDClassifier\n"
        "from vectorlearn import LogisticRegression\n",
    ),
}


def load_exclusions():
    """{key: {pattern: reason}} from lines "[key]" and "pattern  category: why"."""
    table, key = {k: {} for k in FILES}, None
    for number, line in enumerate(EXCLUSIONS.read_text().splitlines(), 1):
        line = line.strip()
        if line[1:-1] in FILES:
            key = line[1:-1]
        elif line and not line.startswith("#"):
            pattern, _, reason = line.partition(" ")
            reason = reason.strip()
            if key is None or reason.split(":")[0] not in CATEGORIES:
                sys.exit(
                    f"{EXCLUSIONS.name}:{number}: want a [section] and a reason that starts "
                    f"with one of {', '.join(CATEGORIES)} and a colon: {line!r}"
                )
            table[key][pattern] = reason
    return table


def first_match(name, patterns):
    """The first pattern matching a test's name with its parameters; '[' is a plain character."""
    return next((p for p in patterns if fnmatch.fnmatchcase(name, p.replace("[", "[[]"))), None)


class Suite:
    """pytest plugin: deselects the excluded tests, counts outcomes per file."""

    def __init__(self, exclusions):
        self.exclusions = exclusions  # {file name: {pattern: reason}}
        self.excluded = dict.fromkeys(exclusions, 0)
        self.used = set()

    @pytest.hookimpl(tryfirst=True)  # before -k and -m, so every excluded test is counted
    def pytest_collection_modifyitems(self, config, items):
        kept, dropped = [], []
        for item in items:
            pattern = first_match(item.name, self.exclusions[item.path.name])
            (dropped if pattern else kept).append(item)
            if pattern:
                self.used.add((item.path.name, pattern))
                self.excluded[item.path.name] += 1
        items[:] = kept
        config.hook.pytest_deselected(items=dropped)

    def pytest_terminal_summary(self, terminalreporter):
        write, stats = terminalreporter.write_line, terminalreporter.stats
        for name, patterns in self.exclusions.items():
            for pattern in patterns:
                if (name, pattern) not in self.used:
                    write(f"sklearn_suite: exclusion {pattern!r} is the first match of no test")
        for name in self.exclusions:
            n = {k: sum(r.nodeid.split("::")[0] == name for r in stats.get(k, ())) for k in stats}
            failed = n.get("failed", 0) + n.get("error", 0)
            write(
                f"sklearn_suite: {name}: {n.get('passed', 0)} passed, {failed} failed, "
                f"{self.excluded[name]} excluded, {n.get('skipped', 0)} skipped"
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", choices=FILES, action="append", help="default: both")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed to pytest")
    args = parser.parse_args()
    exclusions = load_exclusions()
    with tempfile.TemporaryDirectory(prefix="sklearn_suite_") as tmp:
        (Path(tmp) / "pytest.ini").write_text("[pytest]\n")  # keeps vectorlearn's pytest config out
        paths, by_name = [], {}
        for key in args.file or FILES:
            source, old, new = FILES[key]
            text = (Path(sklearn.__file__).parent / source).read_text()
            if text.count(old) != 1:
                sys.exit(f"{source}: expected the line {old.strip()!r} once")
            path = Path(tmp, Path(source).name)
            path.write_text(text.replace(old, new))
            paths.append(str(path))
            by_name[path.name] = exclusions[key]
        options = ["--rootdir", tmp, "-c", f"{tmp}/pytest.ini", "-q", "-p", "no:cacheprovider"]
        options += ["-p", "sklearn.conftest"]  # its fixtures, such as global_random_seed
        code = pytest.main([*paths, *options, *args.pytest_args], plugins=[Suite(by_name)])
    return 0 if code == pytest.ExitCode.OK else 1


if __name__ == "__main__":
    sys.exit(main())
