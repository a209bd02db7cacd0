"""Command line: wall time of fresh ``vectorlearn`` processes against ``python -c "import numpy"``.

Each command runs as a subprocess (output discarded), in turn with the others, ``repeats``
rounds after one untimed round that warms the file cache; the table gives medians of the wall
time and of the CPU time (user + system, from ``getrusage`` of the children; less sensitive to a
busy machine than the wall time). The model and the 1,000-row CSV are made once, in a temporary
folder, with ``vectorlearn train`` (its default model for a binary target: logistic regression).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification

from ._timing import target

TITLE = "Command line: wall time of a fresh process"


def vectorlearn_command() -> list[str]:
    """The installed ``vectorlearn`` script beside this Python, else ``python -m vectorlearn``."""
    script = Path(sys.executable).with_name("vectorlearn")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vectorlearn"]


def _timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and exit status of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    status = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    ).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, status


def run(quick: bool = False) -> dict:
    repeats = 2 if quick else 11
    vl = vectorlearn_command()
    with tempfile.TemporaryDirectory(prefix="vectorlearn-bench-") as tmp:
        folder = Path(tmp)
        X, y = make_classification(1000, 20, n_informative=10, random_state=0)
        data = folder / "rows.csv"
        header = ",".join([*(f"x{j}" for j in range(X.shape[1])), "y"])
        np.savetxt(data, np.column_stack([X, y]), delimiter=",", header=header, comments="")
        model = folder / "run"
        trained = subprocess.run(
            [*vl, "train", str(data), "--target", "y", "--out", str(model), "--quiet"],
            capture_output=True,
            text=True,
            check=False,
        )
        commands = {
            'python -c "import numpy"': [sys.executable, "-c", "import numpy"],
            "vectorlearn --help": [*vl, "--help"],
            "vectorlearn predict (1,000-row CSV)": [*vl, "predict", str(model), str(data)],
        }
        checks = {"vectorlearn train (making the model)": trained.returncode == 0}
        predicted = subprocess.run(
            commands["vectorlearn predict (1,000-row CSV)"],
            capture_output=True,
            text=True,
            check=False,
        )
        lines = predicted.stdout.strip().splitlines()
        checks["vectorlearn predict writing 1,000 predictions"] = (
            predicted.returncode == 0 and len(lines) == 1001
        )
        walls = {name: [] for name in commands}
        cpus = {name: [] for name in commands}
        for round_ in range(repeats + 1):
            for name, command in commands.items():
                wall, cpu, status = _timed(command)
                checks[f"{name} exiting 0"] = checks.get(f"{name} exiting 0", True) and (
                    status == 0
                )
                if round_:  # the first round warms the file cache
                    walls[name].append(wall)
                    cpus[name].append(cpu)
    wall = {name: statistics.median(t) for name, t in walls.items()}
    cpu = {name: statistics.median(t) for name, t in cpus.items()}
    base = 'python -c "import numpy"'
    rows = [
        (
            name,
            f"{wall[name]:.3f}",
            f"{wall[name] / wall[base]:.2f}x",
            f"{cpu[name]:.3f}",
            f"{cpu[name] / cpu[base]:.2f}x",
        )
        for name in commands
    ]
    notes = []
    if trained.returncode != 0:
        notes.append(f"`vectorlearn train` failed: {trained.stderr.strip()[-300:]}")
    return {
        "title": TITLE,
        "setup": (
            f"`{' '.join(Path(part).name for part in vl)}`, subprocess wall and CPU times, "
            f"medians of {repeats} interleaved rounds after one untimed round; ratio = time / "
            '`python -c "import numpy"`\'s'
        ),
        "header": ("command", "wall s", "wall vs numpy", "CPU s", "CPU vs numpy"),
        "rows": rows,
        "notes": notes,
        "checks": checks,
        "targets": [
            target(
                'vectorlearn --help wall time vs python -c "import numpy"',
                wall["vectorlearn --help"] / wall[base],
                "<=",
                3,
            ),
            target(
                'vectorlearn predict (1,000-row CSV) wall time vs python -c "import numpy"',
                wall["vectorlearn predict (1,000-row CSV)"] / wall[base],
                "<=",
                10,
            ),
        ],
    }
