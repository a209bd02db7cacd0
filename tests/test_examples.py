"""The example scripts run and produce what they promise."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_depth_example_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is the optional 'plot' extra")
    output = tmp_path / "depth.png"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "depth.py"),
            "--output",
            str(output),
            "--epochs",
            "60",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("depth")]
    assert len(lines) == 5
    scores = [float(line.split()[-1]) for line in lines]
    assert scores[0] < 0.9 < scores[2]  # logistic regression cannot bend; depth 2 can
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
