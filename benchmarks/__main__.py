"""Run the benchmark suite: ``python -m benchmarks [--quick] [--output FILE]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# OpenBLAS kernel overrides that some machines set make float32 GEMM about 2x slower; drop them
# for this process only (they must be gone before NumPy loads), never in tests or CI.
_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
if any(name in os.environ for name in _OVERRIDES):
    env = {k: v for k, v in os.environ.items() if k not in _OVERRIDES}
    os.execve(sys.executable, [sys.executable, "-m", "benchmarks", *sys.argv[1:]], env)

from . import (  # noqa: E402
    cli_case,
    dask_case,
    floor,
    logistic,
    loops,
    mlp,
    sparse_case,
    time_to_target,
)
from ._timing import machine  # noqa: E402

CASES = [loops, logistic, mlp, time_to_target, floor, dask_case, cli_case, sparse_case]


def render(results: list[dict], info: dict, quick: bool) -> str:
    lines = ["# Benchmarks", ""]
    lines.append(
        "Made by `python -m benchmarks`"
        + (" --quick (small sizes; not the committed table)" if quick else "")
        + ". Times are medians of interleaved repeats in one process run; ratios compare "
        "contenders measured side by side."
    )
    targets = [row for result in results for row in result.get("targets", [])]
    if targets:
        lines += ["", "## Targets", "", "| case | measured | target | |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(row) + " |" for row in targets]
        gaps = Path(__file__).parent / "GAPS.md"
        if gaps.exists() and any(row[3] == "MISSED" for row in targets):
            lines += ["", gaps.read_text().strip()]
    lines += ["", "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += _gpu_section(Path(__file__).parent / "results")
    for result in results:
        lines += ["", f"## {result['title']}", "", result["setup"], ""]
        lines.append("| " + " | ".join(result["header"]) + " |")
        lines.append("|" + "---|" * len(result["header"]))
        lines += ["| " + " | ".join(row) + " |" for row in result["rows"]]
        for note in result.get("notes", []):
            lines += ["", note]
    return "\n".join(lines) + "\n"


# The GPU runs, recorded on a lent machine (``python -m benchmarks.gpu_check``; no GPU here):
# each file's output is shown verbatim under its caption.
GPU_RUNS = [
    (
        "gpu_check_h200_2026-11-27_kernels.txt",
        "The latest runs (2026-11-27, second session): fewer kernels a step on PyTorch tensors "
        "(the sigmoid head's output and loss from one softplus, a 0-D zero made once per dtype "
        "and device, ReLU's backward one select; commit ba561db), against the code before "
        "(511faeb), interleaved on one lent machine. The ratio at batch 16384 moves from call to "
        "call (the code before: 1.00x and 1.24x here, 1.12x and 1.16x in the session before):",
    ),
    (
        "gpu_check_h200_2026-11-27.txt",
        "The runs before (2026-11-27, first session): a classifier's labels encoded on the "
        "device, the next epoch's order drawn on a thread, and fewer host stalls and less Python "
        "per step on PyTorch tensors (commit 5c7d9ff; the review's fixes after it ran their GPU "
        "tests, last below, and the L2 penalty's squares as one product per layer, four kernels "
        "fewer a step, came after that session's last GPU call; the runs above include them). "
        "Two calls on one lent machine; the "
        "ratio at batch 16384 moves between runs (1.00x in the run below, on nearly the same "
        "code):",
    ),
    (
        "gpu_check_h200_2026-11-27_before.txt",
        "The same session's first call, on another start of the machine: the code before these "
        "changes (commit 25e3782), then the changes but the last (the layer products still by "
        "array-api-compat's matmul), and `python -m benchmarks.gpu_steps` on that code:",
    ),
    (
        "gpu_check_h200_jax.txt",
        "The run of 2026-11-26, evening, with vectorlearn on JAX arrays too, where each "
        "epoch is one compiled call (`vectorlearn.core.compiled`). On GPUs JAX multiplies float32 "
        "in TF32 unless told otherwise; the 'full float32' row runs under "
        '`jax.default_matmul_precision("highest")`, as PyTorch\'s products are, and is the one '
        "compared with the target. The backend tests' JAX cases ran on the GPU first (the CUDA "
        "and CuPy cases passed in the run before, on the same code; this run's last line says "
        "'passed' for tests it skipped, which gpu_check no longer does):",
    ),
    (
        "gpu_check_h200_jax_256.txt",
        "Batch 256, same session, one run earlier (JAX's default TF32 products):",
    ),
    (
        "gpu_check_h200.txt",
        "The run before, on the code that sends each epoch's batch indices to the GPU in one "
        "copy and computes `score`'s accuracy on the device (2026-11-26):",
    ),
    (
        "gpu_check_h200_before.txt",
        "The code before that change (commit a275cc0), on the same machine in the same session, "
        "for the two large batches (this machine's CPU was slower than the earlier runs': "
        "plain PyTorch's batch-2048 epoch took 0.83-0.87 s here against 0.70 s then):",
    ),
]


def _gpu_section(folder: Path) -> list[str]:
    runs = [(folder / name, caption) for name, caption in GPU_RUNS if (folder / name).exists()]
    if not runs:
        return []
    lines = ["", "## GPU: vectorlearn on CUDA tensors and JAX arrays against plain PyTorch", ""]
    lines.append(
        "Recorded by `python -m benchmarks.gpu_check` on a lent NVIDIA H200 (its output, "
        "verbatim; `python -m benchmarks` does not rerun it, as it needs no GPU)."
    )
    for path, caption in runs:
        lines += ["", caption, "", "```", path.read_text().strip(), "```"]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument(
        "--output", help="write the Markdown table here (default: BENCHMARKS.md unless --quick)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 unless every case ran and the peers agreed on accuracy or loss (no times)",
    )
    args = parser.parse_args(argv)
    results = []
    for case in CASES:
        print(f"running: {case.TITLE}", file=sys.stderr, flush=True)
        results.append(case.run(quick=args.quick))
    text = render(results, machine(), args.quick)
    output = args.output or (None if args.quick else "BENCHMARKS.md")
    if output:
        tmp = f"{output}.tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, output)
    print(text)
    if args.check:
        failures = [f"{r['title']}: {problem}" for r in results for problem in agreement(r)]
        for failure in failures:
            print(f"check failed: {failure}", file=sys.stderr)
        return 1 if failures else 0
    return 0


def agreement(result: dict) -> list[str]:
    """What a case's peers disagree on: accuracy within 0.05 of each other, losses reached."""
    problems = []
    for batch, accuracies in result.get("checks", {}).items():
        if isinstance(accuracies, dict) and accuracies:
            values = list(accuracies.values())
            if max(values) - min(values) > 0.05:
                problems.append(f"batch {batch}: accuracies differ: {accuracies}")
        elif accuracies is False:
            problems.append(f"{batch} failed")
    return problems


if __name__ == "__main__":
    sys.exit(main())
