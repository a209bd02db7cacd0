"""Initialization study: vectorlearn's epochs and seconds to target under three starting weights.

``python -m benchmarks.init_study [--quick]`` (not part of ``python -m benchmarks``; it changes
nothing in vectorlearn). It trains vectorlearn's ``MLPClassifier`` on the cases, batch sizes,
targets and seeds of :mod:`benchmarks.time_to_target`, replacing only the initial ``W, B``: for
the duration of each fit, ``Network.init_params`` is swapped in this process for one of

- ``he-normal`` (vectorlearn's default): hidden ``W_l`` ~ N(0, 2 / n_in), the output layer
  Glorot-uniform, every bias zero;
- ``pytorch-uniform`` (``nn.Linear``'s default): ``W_l`` and ``B_l`` ~ U(+-1 / sqrt(n_in));
- ``glorot-uniform`` (scikit-learn's ``_init_coef`` for ReLU): ``W_l`` and ``B_l`` ~
  U(+-sqrt(6 / (n_in + n_out))) (scikit-learn uses 2 instead of 6 only for a logistic hidden
  activation).

Each draws from the estimator's own generator (``random_state`` = the seed), so the shuffling
that follows differs between inits only because the draws consume different amounts of it.
The three inits run in turn for each seed (interleaved); the table gives epochs and seconds to
the target per seed, and the summary counts wins over every case, batch size and seed.

Result of the full run (2026-11-26, seeds 0-2; epoch counts do not depend on the machine's load,
the seconds do). Epochs to the target relative to he-normal, geometric mean over batch sizes 64,
256, 2048 and the seeds:

- synthetic 100,000 x 50: pytorch-uniform 0.52x, glorot-uniform 0.66x (batch 2048: 45/42/43
  epochs he-normal, 17/15/17 pytorch-uniform, 29/26/25 glorot-uniform);
- digits: pytorch-uniform 0.84x, glorot-uniform 0.88x;
- breast cancer (455 training rows): pytorch-uniform 2.08x, glorot-uniform 1.50x (he-normal
  wins here);
- over all 27 runs: fewest epochs pytorch-uniform 15, he-normal 9, glorot-uniform 6 (ties count
  for each); geometric mean 0.97x and 0.96x, i.e. no single start wins everywhere, but on the
  largest case, where the seconds are, pytorch-uniform halves the epochs.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import time

from vectorlearn.core.network import Network

from . import time_to_target as ttt

_DEFAULT_INIT = Network.init_params


def _pytorch_uniform(self, rng, xp, dtype, device=None):
    W, B = [], []
    for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
        bound = 1.0 / math.sqrt(n_in)
        W.append(rng.uniform(-bound, bound, size=(n_in, n_out)))
        B.append(rng.uniform(-bound, bound, size=(n_out, 1)))
    return _as(W, B, xp, dtype, device)


def _glorot_uniform(self, rng, xp, dtype, device=None):
    W, B = [], []
    for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
        bound = math.sqrt(6.0 / (n_in + n_out))
        W.append(rng.uniform(-bound, bound, size=(n_in, n_out)))
        B.append(rng.uniform(-bound, bound, size=(n_out, 1)))
    return _as(W, B, xp, dtype, device)


def _as(W, B, xp, dtype, device):
    dtype = getattr(xp, dtype) if isinstance(dtype, str) else dtype
    move = [xp.asarray(a, dtype=dtype, device=device) for a in W + B]
    return move[: len(W)], move[len(W) :]


INITS = {
    "he-normal": _DEFAULT_INIT,
    "pytorch-uniform": _pytorch_uniform,
    "glorot-uniform": _glorot_uniform,
}


@contextlib.contextmanager
def initialized_with(init):
    """Swap ``Network.init_params`` for ``init`` inside the block (this process only)."""
    Network.init_params = init
    try:
        yield
    finally:
        Network.init_params = _DEFAULT_INIT


def study(quick: bool = False, seeds=(0, 1, 2)) -> dict:
    """Run every case, batch size, seed and init; return the per-run records."""
    records = []
    for data in ttt.datasets(quick):
        _, goal = ttt.reference_target(data)
        m = data["X_train"].shape[0]
        for batch in ttt.BATCH_SIZES:
            b = min(batch, m)
            cap = ttt.max_epochs_for(data, b)
            for seed in seeds:
                for name, init in INITS.items():
                    with initialized_with(init):
                        start = time.perf_counter()
                        losses = ttt.vectorlearn_run(data, b, seed, goal, cap)
                        seconds = time.perf_counter() - start
                    records.append(
                        {
                            "case": data["name"],
                            "batch": batch,
                            "seed": seed,
                            "init": name,
                            "epochs": len(losses),
                            "seconds": seconds,
                            "reached": min(losses) <= goal,
                        }
                    )
                    print(
                        f"{data['name']}, batch {batch}, seed {seed}, {name}: "
                        f"{len(losses)} epochs, {seconds:.3f} s",
                        file=sys.stderr,
                        flush=True,
                    )
    return records


def render(records) -> str:
    lines = [
        "| data | batch | init | epochs (per seed) | median epochs | median s |",
        "|---|---|---|---|---|---|",
    ]
    groups = {}
    for r in records:
        groups.setdefault((r["case"], r["batch"], r["init"]), []).append(r)
    for (case, batch, init), rs in groups.items():
        epochs = "/".join(str(r["epochs"]) + ("" if r["reached"] else "!") for r in rs)
        lines.append(
            f"| {case} | {batch} | {init} | {epochs} | "
            f"{statistics.median(r['epochs'] for r in rs):g} | "
            f"{statistics.median(r['seconds'] for r in rs):.3f} |"
        )
    runs = {}
    for r in records:
        runs.setdefault((r["case"], r["batch"], r["seed"]), {})[r["init"]] = r
    wins = dict.fromkeys(INITS, 0)
    ratios = {name: [] for name in INITS}
    for by_init in runs.values():
        fewest = min(r["epochs"] for r in by_init.values())
        for name, r in by_init.items():
            wins[name] += r["epochs"] == fewest
            ratios[name].append(r["epochs"] / by_init["he-normal"]["epochs"])
    lines += [
        "",
        f"Over {len(runs)} runs (case x batch x seed), fewest epochs to the target "
        "(ties count for each): "
        + ", ".join(f"{name} {count}" for name, count in wins.items())
        + ". Epochs relative to he-normal, geometric mean over the runs: "
        + ", ".join(f"{name} {_geomean(xs):.2f}x" for name, xs in ratios.items())
        + ". (! = target not reached within the epoch cap.)",
        "",
        "Per data set, epochs relative to he-normal (geometric mean over batch sizes and seeds): "
        + "; ".join(
            f"{case}: " + ", ".join(f"{name} {_geomean(xs):.2f}x" for name, xs in by.items())
            for case, by in _relative_by_case(runs).items()
        ),
    ]
    return "\n".join(lines)


def _relative_by_case(runs) -> dict:
    """{case: {init: [epochs / he-normal's epochs, one per batch size and seed]}}."""
    out = {}
    for (case, _, _), by_init in runs.items():
        base = by_init["he-normal"]["epochs"]
        for name, r in by_init.items():
            out.setdefault(case, {}).setdefault(name, []).append(r["epochs"] / base)
    return out


def _geomean(values) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.init_study", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the quick cases, one seed")
    args = parser.parse_args(argv)
    records = study(args.quick, seeds=(0,) if args.quick else (0, 1, 2))
    print(render(records))
    return 0 if all(r["reached"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
