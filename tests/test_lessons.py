"""The lessons run top to bottom, and every fact they assert still holds.

Each notebook in lessons/ runs in a kernel of its own through nbclient; any error, a failed
assert included, fails its test. The notebooks are kept without outputs, and use the public
core only (``from vectorlearn.core import ...``), so each lesson also tests that API.
"""

import ast
from pathlib import Path

import pytest

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell; the slowest cell takes about 15 s on 2 cores


def _code_cells(path):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is in the test extra")
    notebook = nbformat.read(path, as_version=4)
    return notebook, [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_there_is_one_lesson_per_part_of_the_lecture():
    assert [p.name for p in NOTEBOOKS] == [
        "01_numpy_for_ml.ipynb",
        "02_replace_for_loops.ipynb",
        "03_logistic_regression_step_by_step.ipynb",
        "04_deep_networks_feature_extractors.ipynb",
        "05_why_gpus.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_is_stored_without_outputs(path):
    _, cells = _code_cells(path)
    for cell in cells:
        assert cell.outputs == [] and cell.execution_count is None, (
            f"{path.name} was saved with outputs: clear them (Kernel > Restart & Clear Output)"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_uses_only_the_public_core(path):
    import vectorlearn.core

    _, cells = _code_cells(path)
    source = "\n".join(
        "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
        for cell in cells
    )
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module.startswith("vectorlearn.core"):
            assert node.module == "vectorlearn.core", f"{path.name} imports from {node.module}"
            for alias in node.names:
                assert alias.name in vectorlearn.core.__all__, f"{alias.name} is not public"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_runs_top_to_bottom(path):
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra")
    pytest.importorskip("ipykernel", reason="ipykernel is in the test extra")
    notebook, cells = _code_cells(path)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(LESSONS)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    assert all(cell.execution_count for cell in cells)
    errors = [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    assert errors == []
