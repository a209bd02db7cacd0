"""Initialization study: vectorlearn's epochs and seconds to target under seven starting weights.

``python -m benchmarks.init_study [--quick] [--inits NAME ...]`` (not part of ``python -m
benchmarks``; it changes nothing in vectorlearn). It trains vectorlearn's ``MLPClassifier`` on
the cases, batch sizes, targets and seeds of :mod:`benchmarks.time_to_target`, replacing only
the initial ``W, B``: for the duration of each fit, ``Network.init_params`` is swapped in this
process for one of

- ``he-normal`` (vectorlearn's default until 2026-11-26): hidden ``W_l`` ~ N(0, 2 / n_in), the
  output layer Glorot-uniform, every bias zero;
- ``pytorch-uniform`` (``nn.Linear``'s default): ``W_l`` and ``B_l`` ~ U(+-1 / sqrt(n_in));
- ``glorot-uniform`` (scikit-learn's ``_init_coef`` for ReLU): ``W_l`` and ``B_l`` ~
  U(+-sqrt(6 / (n_in + n_out))) (scikit-learn uses 2 instead of 6 only for a logistic hidden
  activation);
- ``uniform-W zero-B``: every ``W_l`` ~ U(+-1 / sqrt(n_in)), biases zero;
- ``lecun-normal zero-B``: ``W_l`` ~ N(0, 1 / n_in), biases zero;
- ``lecun-normal lecun-B``: ``W_l`` ~ N(0, 1 / n_in), ``B_l`` ~ U(+-1 / sqrt(n_in));
- ``uniform hidden, glorot out`` (vectorlearn's default since): hidden ``W_l`` ~
  U(+-1 / sqrt(n_in)), the output layer Glorot-uniform, biases zero.

Each draws from the estimator's own generator (``random_state`` = the seed), so the shuffling
that follows differs between inits only because the draws consume different amounts of it.
The inits run in turn for each seed (interleaved); the table gives epochs and seconds to the
target per seed, and the summary counts wins over every case, batch size and seed.

Results (2026-11-26, seeds 0-2; epoch counts do not depend on the machine's load, the seconds
do), epochs to the target relative to he-normal, geometric mean over batch sizes 64, 256, 2048
and the seeds:

- the first six (benchmarks/results/init_study.txt): synthetic 100,000 x 50: uniform-W zero-B
  0.49x, pytorch-uniform 0.52x, glorot-uniform 0.66x, lecun-normal 0.66x and 0.74x; digits
  0.82-0.88x; breast cancer (455 training rows) 1.50-2.08x: no start won everywhere (the small
  breast-cancer set wants larger weights, the large synthetic set smaller ones);
  uniform-W zero-B had the fewest epochs most often (11 of 27 runs) but also failed two of
  scikit-learn's own MLP tests (an L-BFGS fit converging before ``max_fun``, an sgd regression
  below its score) through its small output layer;
- hence ``uniform hidden, glorot out``, run against he-normal and uniform-W zero-B
  (benchmarks/results/init_study_default.txt, ``--inits "uniform-W zero-B" "uniform hidden,
  glorot out"``): fewest epochs in 15 of 27 runs (he-normal 9, uniform-W zero-B 9),
  0.83x he-normal's epochs overall, 0.52x on the synthetic case (batch 2048: 45/42/43 epochs
  he-normal, 17/19/17), 0.71x on digits, 1.53x on breast cancer. It became the default for
  ReLU-family networks (``Network.init_params``); biases stay at zero, as in the lecture.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import statistics
import sys
import time

import numpy as np

from vectorlearn.core.network import Network

from . import time_to_target as ttt

_DEFAULT_INIT = Network.init_params


def _uniform(bound):
    return lambda rng, n_in, n_out, shape: rng.uniform(
        -bound(n_in, n_out), bound(n_in, n_out), shape
    )


def _normal(std):
    return lambda rng, n_in, n_out, shape: rng.normal(0.0, std(n_in, n_out), shape)


def _zeros(rng, n_in, n_out, shape):
    return np.zeros(shape)


_FAN_IN = _uniform(lambda n_in, n_out: 1.0 / math.sqrt(n_in))  # nn.Linear's
_GLOROT = _uniform(lambda n_in, n_out: math.sqrt(6.0 / (n_in + n_out)))
_HE = _normal(lambda n_in, n_out: math.sqrt(2.0 / n_in))
_LECUN = _normal(lambda n_in, n_out: 1.0 / math.sqrt(n_in))


def _start(hidden, biases, output=None):
    """An ``init_params`` that draws, layer by layer, ``W_l`` (``hidden``'s draw, or ``output``'s
    for the last layer when given) and then ``B_l``, from the estimator's generator."""

    def init(self, rng, xp, dtype, device=None):
        W, B = [], []
        for l, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            draw = output if output is not None and l == self.n_layers - 1 else hidden
            W.append(draw(rng, n_in, n_out, (n_in, n_out)))
            B.append(biases(rng, n_in, n_out, (n_out, 1)))
        dtype_ = getattr(xp, dtype) if isinstance(dtype, str) else dtype
        move = [xp.asarray(a, dtype=dtype_, device=device) for a in W + B]
        return move[: len(W)], move[len(W) :]

    return init


INITS = {
    "he-normal": _start(_HE, _zeros, output=_GLOROT),
    "pytorch-uniform": _start(_FAN_IN, _FAN_IN),
    "glorot-uniform": _start(_GLOROT, _GLOROT),
    "uniform-W zero-B": _start(_FAN_IN, _zeros),
    "lecun-normal zero-B": _start(_LECUN, _zeros),
    "lecun-normal lecun-B": _start(_LECUN, _FAN_IN),
    "uniform hidden, glorot out": _DEFAULT_INIT,
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
    parser.add_argument(
        "--inits",
        nargs="+",
        metavar="NAME",
        help="the starts to run besides he-normal, the baseline of the ratios (default: all)",
    )
    args = parser.parse_args(argv)
    if args.inits is not None:
        unknown = [name for name in args.inits if name not in INITS]
        if unknown:
            parser.error(f"unknown init {unknown[0]!r}; choose from: {'; '.join(INITS)}")
        for name in set(INITS) - {"he-normal", *args.inits}:
            del INITS[name]
    records = study(args.quick, seeds=(0,) if args.quick else (0, 1, 2))
    print(render(records))
    return 0 if all(r["reached"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
