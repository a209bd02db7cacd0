"""MLP time to target: seconds and epochs until the validation loss reaches scikit-learn's.

Every learner trains the same network (hidden (64, 64) ReLU, Adam, learning rate 1e-3, float32)
on the same training rows and, once per epoch, computes its loss on the same validation rows; it
stops at the first epoch whose validation loss is at or below the case's target. The target is
``TARGET_FACTOR`` (1.02) times the best validation loss that scikit-learn's ``MLPClassifier`` in
its default settings (batch ``auto`` = min(200, m), seed 0, float32 input) reaches in the case's
reference epoch budget, computed at the start of the same process run. One target per data set:
every batch size chases the same loss.

The clock runs from the call that starts training to the epoch whose check passes, and includes
the per-epoch validation loss for every learner alike (each in its own library: a forward pass
over the validation rows). The learners, each with its library's default initialization:

- vectorlearn ``MLPClassifier``: hidden weights uniform in +-1/sqrt(n_in), the output layer
  Glorot-uniform, zero biases (chosen by ``benchmarks/init_study.py``; He-normal hidden weights
  until 2026-11-26); ``fit(validation_data=...)``
  with a callback that stops at the target (the library computes the validation loss).
- scikit-learn ``MLPClassifier`` on the same float32 arrays (it trains in float32 then):
  Glorot-uniform weights and biases; one ``fit`` whose per-epoch hook (the method scikit-learn
  calls at the end of every epoch) computes the validation loss and stops at the target.
- eager PyTorch on 2 threads (as in ``benchmarks/mlp.py``): ``nn.Linear`` defaults (uniform
  +-1/sqrt(n_in) for weights and biases), ``torch.optim.Adam``, no DataLoader, validation loss
  under ``no_grad``.
- vectorlearn on JAX arrays: the same ``MLPClassifier`` given ``jax.numpy`` arrays, so each
  epoch runs as one compiled call (``vectorlearn.core.compiled``); the arrays are converted once
  per case and every shape compiles in an untimed warm-up fit, as for the JAX peer below. Same
  initial weights and batches as vectorlearn on NumPy, so the same epochs to rounding.
- JAX: the whole epoch (gather of the shuffled mini-batches and a ``lax.scan`` of Adam steps) in
  one ``jax.jit`` function, a jitted step for a last partial batch and a jitted validation loss;
  it starts from vectorlearn's own initial weights and draws its permutations from the same
  generator (same seed), so it takes the same epochs as vectorlearn, seed for seed, and differs
  only in the cost of a step. Compilation happens in an untimed warm-up call before the timed
  runs (its time is reported in a note). Skipped, with the reason, without jax.

vectorlearn and scikit-learn keep their default L2 penalty (alpha = 1e-4, divided by the number
of training rows); PyTorch and JAX have none (a difference of about 1e-9 per weight per step).
"""

from __future__ import annotations

import math
import statistics
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.preprocessing import StandardScaler

from vectorlearn import MLPClassifier
from vectorlearn.core.network import Network

from ._timing import target

TITLE = "MLP time to target: seconds and epochs to scikit-learn's validation loss"

HIDDEN = (64, 64)
LEARNING_RATE = 1e-3
TARGET_FACTOR = 1.02
BATCH_SIZES = (64, 256, 2048)
# Fits on the small data sets take milliseconds, where one hiccup of the machine moves a median
# of three by a third: each seed runs this many rounds there (the synthetic case's fits take
# seconds, and run once).
SMALL_ROWS, SMALL_ROUNDS = 10_000, 5
# Each timed fit starts after this pause, so that threads the learner before it left spinning
# (OpenBLAS's and PyTorch's wait for more work a while before they sleep) do not slow it down:
# without it PyTorch's fits on breast cancer at batch 256 took 1.9-2.1x as long (135-170 against
# 73-82 ms, medians of 15), and the others' times stayed within the machine's noise.
SETTLE_SECONDS = 0.1
LEARNERS = ("vectorlearn", "vectorlearn on JAX", "scikit-learn float32", "PyTorch eager", "JAX jit")


def datasets(quick: bool = False) -> list[dict]:
    """The cases: name, float32 train/validation arrays (80/20, stratified, seed 0; scaled with
    the training rows' statistics) and the scikit-learn reference epoch budget."""
    m = 5_000 if quick else 100_000
    X, y = make_classification(m, 50, n_informative=25, random_state=0)  # as benchmarks/mlp.py
    cases = [(f"synthetic {m:,} x 50", X, y, 5)]
    X, y = load_digits(return_X_y=True)
    cases.append(("digits (scikit-learn, 1,797 x 64, 10 classes)", X, y, 15))
    X, y = load_breast_cancer(return_X_y=True)
    cases.append(("breast cancer (scikit-learn, 569 x 30)", X, y, 10))
    out = []
    for name, X, y, reference_epochs in cases:
        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=0.2, stratify=y, random_state=0
        )
        scaler = StandardScaler().fit(X_train)
        out.append(
            {
                "name": name,
                "X_train": scaler.transform(X_train).astype(np.float32),  # (m, n)
                "y_train": y_train,
                "X_val": scaler.transform(X_val).astype(np.float32),
                "y_val": y_val,
                "n_classes": len(np.unique(y)),
                "reference_epochs": reference_epochs,
            }
        )
    return out


def log_loss_from_probabilities(P, y) -> float:
    """Mean cross-entropy of probabilities ``P`` (m, 1) for binary or (m, k) for ``y`` (m,)."""
    P = np.clip(P, 1e-7, 1 - 1e-7)
    if P.shape[1] == 1:
        p = P[:, 0]
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))
    return float(-np.mean(np.log(P[np.arange(len(y)), y])))


class _SkWithEpochHook(SkMLPClassifier):
    """scikit-learn's MLPClassifier, recording the validation loss at the end of every epoch
    and stopping at ``self.goal`` (the end-of-epoch method its stochastic solver calls)."""

    def _update_no_improvement_count(self, early_stopping, X, y, sample_weight):
        super()._update_no_improvement_count(early_stopping, X, y, sample_weight)
        loss = log_loss_from_probabilities(self._forward_pass_fast(self.X_val), self.y_val)
        self.validation_losses.append(loss)
        if loss <= self.goal:
            self._no_improvement_count = self.n_iter_no_change + 1  # Adam then stops


def sklearn_run(data, batch_size, seed, goal, max_epochs, default=False):
    """Train scikit-learn until the validation loss is <= goal; return the validation losses.

    ``default`` keeps scikit-learn's own stopping rule (tol, n_iter_no_change) and batch size."""
    options = {} if default else {"tol": 0.0, "n_iter_no_change": max_epochs + 1}
    if not default:
        options["batch_size"] = batch_size
    model = _SkWithEpochHook(
        HIDDEN,
        learning_rate_init=LEARNING_RATE,
        max_iter=max_epochs,
        random_state=seed,
        **options,
    )
    model.X_val, model.y_val, model.goal, model.validation_losses = (
        data["X_val"],
        data["y_val"],
        goal,
        [],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data["X_train"], data["y_train"])
    return model.validation_losses


def vectorlearn_run(data, batch_size, seed, goal, max_epochs, init=None):
    """Train vectorlearn until the validation loss is <= goal; return the validation losses.

    ``init(network, rng)``, if given, replaces the initial ``W, B`` (used by the init study)."""
    model = MLPClassifier(
        HIDDEN,
        batch_size=batch_size,
        learning_rate_init=LEARNING_RATE,
        max_iter=max_epochs,
        tol=0.0,
        n_iter_no_change=max_epochs + 1,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(
            data["X_train"],
            data["y_train"],
            validation_data=(data["X_val"], data["y_val"]),
            callbacks=[lambda info: info["validation_loss"] <= goal],
        )
    return list(model.validation_loss_curve_)


def torch_run(data, batch_size, seed, goal, max_epochs):
    """The eager PyTorch loop; returns the validation losses, one per epoch."""
    import torch

    torch.manual_seed(seed)
    k = data["n_classes"]
    X, X_val = torch.from_numpy(data["X_train"]), torch.from_numpy(data["X_val"])
    if k == 2:
        y = torch.from_numpy(data["y_train"].astype(np.float32))[:, None]
        y_val = torch.from_numpy(data["y_val"].astype(np.float32))[:, None]
        loss_fn, n_out = torch.nn.BCEWithLogitsLoss(), 1
    else:
        y, y_val = torch.from_numpy(data["y_train"]), torch.from_numpy(data["y_val"])
        loss_fn, n_out = torch.nn.CrossEntropyLoss(), k
    model = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], HIDDEN[0]),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[0], HIDDEN[1]),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[1], n_out),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    m, losses = X.shape[0], []
    for _ in range(max_epochs):
        order = torch.randperm(m)
        for start in range(0, m, batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            optimizer.step()
        with torch.no_grad():
            losses.append(float(loss_fn(model(X_val), y_val)))
        if losses[-1] <= goal:
            break
    return losses


def jax_available() -> str | None:
    """None when JAX imports, else why it is skipped."""
    try:
        import jax  # noqa: F401
    except ImportError as error:
        return f"jax is not installed ({error}); `pip install jax` adds the JAX rows"
    return None


_JAX_FUNCTIONS = {}


def _jax_functions():
    """The jitted loss, step and epoch, made once per process so that every case and batch size
    shares jax's compilation cache (each shape still compiles once)."""
    if _JAX_FUNCTIONS:
        return _JAX_FUNCTIONS
    import jax
    import jax.numpy as jnp

    def loss(params, X, y, binary):
        (W1, b1), (W2, b2), (W3, b3) = params
        K = jax.nn.relu(jax.nn.relu(X @ W1 + b1) @ W2 + b2) @ W3 + b3  # (m, n_out)
        if binary:
            z = K[:, 0]
            return jnp.mean(jnp.logaddexp(0.0, z) - y * z)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(K), y[:, None], axis=1))

    def step_on(params, state, X, y, idx, binary):
        grads = jax.grad(loss)(params, X[idx], y[idx], binary)
        b1, b2, eps = 0.9, 0.999, 1e-8
        m, v, t = state
        t = t + 1.0
        m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        c1, c2 = 1 - b1**t, 1 - b2**t  # bias corrections, as torch.optim.Adam
        params = jax.tree_util.tree_map(
            lambda p, m, v: p - LEARNING_RATE * (m / c1) / (jnp.sqrt(v / c2) + eps), params, m, v
        )
        return params, (m, v, t)

    def epoch(params, state, X, y, idx, batch_size, binary):
        def body(carry, batch):
            return step_on(*carry, X, y, batch, binary), None

        batches = idx.reshape(-1, batch_size)  # (n_batches, batch_size)
        (params, state), _ = jax.lax.scan(body, (params, state), batches)
        return params, state

    _JAX_FUNCTIONS.update(
        jnp=jnp,
        tree_map=jax.tree_util.tree_map,
        loss=jax.jit(loss, static_argnames=("binary",)),
        step_on=jax.jit(step_on, static_argnames=("binary",)),
        epoch=jax.jit(epoch, static_argnames=("batch_size", "binary")),
    )
    return _JAX_FUNCTIONS


class VectorlearnOnJax:
    """vectorlearn's ``MLPClassifier`` on JAX arrays (one compiled call per epoch)."""

    def __init__(self, data, batch_size):
        import jax.numpy as jnp

        arrays = ("X_train", "y_train", "X_val", "y_val")
        self.data = {k: jnp.asarray(v) if k in arrays else v for k, v in data.items()}
        start = time.perf_counter()
        vectorlearn_run(self.data, batch_size, 0, -math.inf, 2)  # the first and later epochs
        self.compile_seconds = time.perf_counter() - start

    def run(self, data, batch_size, seed, goal, max_epochs):
        """The signature of the other learners (``data`` is this one's JAX copy)."""
        return vectorlearn_run(self.data, batch_size, seed, goal, max_epochs)


class JaxLearner:
    """Adam on a (64, 64) ReLU network in JAX, one ``jax.jit`` call per epoch."""

    def __init__(self, data, batch_size):
        self.f = f = _jax_functions()
        jnp = f["jnp"]
        self.data, self.batch_size = data, batch_size
        self.binary = data["n_classes"] == 2
        y_type = np.float32 if self.binary else np.int32
        self.X = jnp.asarray(data["X_train"])
        self.y = jnp.asarray(data["y_train"].astype(y_type))
        self.X_val = jnp.asarray(data["X_val"])
        self.y_val = jnp.asarray(data["y_val"].astype(y_type))
        self.m = self.X.shape[0]
        self.n_full = (self.m // batch_size) * batch_size
        start = time.perf_counter()
        self.train(0, -math.inf, 1)  # compiles every shape the timed runs use
        self.compile_seconds = time.perf_counter() - start

    def run(self, data, batch_size, seed, goal, max_epochs):
        """The signature of the other learners (``data`` and ``batch_size`` are this one's)."""
        return self.train(seed, goal, max_epochs)

    def train(self, seed, goal, max_epochs):
        f, binary = self.f, self.binary
        jnp = f["jnp"]
        k = self.data["n_classes"]
        network = Network((self.X.shape[1], *HIDDEN, 1 if k == 2 else k))
        rng = np.random.default_rng(seed)
        W, B = network.init_params(rng, np, "float32")  # vectorlearn's initial weights
        params = [(jnp.asarray(w), jnp.asarray(b[:, 0])) for w, b in zip(W, B)]
        zeros = f["tree_map"](jnp.zeros_like, params)
        state = (zeros, zeros, jnp.float32(0.0))
        losses = []
        for _ in range(max_epochs):
            order = jnp.asarray(rng.permutation(self.m).astype(np.int32))
            if self.n_full:
                params, state = f["epoch"](
                    params, state, self.X, self.y, order[: self.n_full], self.batch_size, binary
                )
            if self.n_full < self.m:
                params, state = f["step_on"](
                    params, state, self.X, self.y, order[self.n_full :], binary
                )
            losses.append(float(f["loss"](params, self.X_val, self.y_val, binary)))
            if losses[-1] <= goal:
                break
        return losses


def reference_target(data) -> tuple[float, float]:
    """scikit-learn's default run for the case's epoch budget: its best validation loss and the
    target, ``TARGET_FACTOR`` times it."""
    losses = sklearn_run(data, "auto", 0, -math.inf, data["reference_epochs"], default=True)
    return min(losses), TARGET_FACTOR * min(losses)


def max_epochs_for(data, batch_size) -> int:
    """An epoch cap well beyond what any learner needs: 10x the reference budget, scaled by how
    many fewer steps per epoch this batch size takes than the reference's 200."""
    return max(100, 10 * data["reference_epochs"] * math.ceil(batch_size / 200))


def run(quick: bool = False) -> dict:
    seeds = (0,) if quick else (0, 1, 2)
    try:
        import torch

        torch.set_num_threads(2)
        have_torch = True
    except ImportError:
        have_torch = False
    jax_reason = jax_available()
    cases = datasets(quick)
    warm = cases[-1]  # one untimed epoch of each library first: imports, first allocations
    vectorlearn_run(warm, 64, 0, -math.inf, 1)
    sklearn_run(warm, 64, 0, -math.inf, 1)
    if have_torch:
        torch_run(warm, 64, 0, -math.inf, 1)
    rows, checks, notes, medians, references, compiles = [], {}, [], {}, [], {}
    for data in cases:
        name, m_train = data["name"], data["X_train"].shape[0]
        best, goal = reference_target(data)
        references.append(
            f"{name}: {m_train:,} training / {data['X_val'].shape[0]:,} validation rows, "
            f"scikit-learn's best in {data['reference_epochs']} epochs {best:.4f}, "
            f"target {goal:.4f}"
        )
        for batch in BATCH_SIZES:
            b = min(batch, m_train)
            label = str(batch) if b == batch else f"{batch} (full batch: {m_train:,})"
            cap = max_epochs_for(data, b)
            print(f"  {name}, batch {label}, target {goal:.4f}", file=sys.stderr, flush=True)
            learners = {"vectorlearn": vectorlearn_run, "scikit-learn float32": sklearn_run}
            if have_torch:
                learners["PyTorch eager"] = torch_run
            if jax_reason is None:
                for jax_name, jax_class in (
                    ("vectorlearn on JAX", VectorlearnOnJax),
                    ("JAX jit", JaxLearner),
                ):
                    jax_learner = jax_class(data, b)
                    compiles.setdefault(jax_name, []).append(jax_learner.compile_seconds)
                    learners[jax_name] = jax_learner.run
            seconds = {learner: [] for learner in learners}
            epochs = {learner: [] for learner in learners}
            rounds = SMALL_ROUNDS if m_train < SMALL_ROWS and not quick else 1
            for seed in [s for _ in range(rounds) for s in seeds]:  # each runs every learner
                for learner, train_to_goal in learners.items():
                    time.sleep(SETTLE_SECONDS)
                    start = time.perf_counter()
                    losses = train_to_goal(data, b, seed, goal, cap)
                    seconds[learner].append(time.perf_counter() - start)
                    if len(epochs[learner]) < len(seeds):  # the same in every round
                        epochs[learner].append(len(losses))
                    reached = bool(losses) and min(losses) <= goal
                    checks[f"{name}, batch {b}: {learner} (seed {seed}) reaching {goal:.4f}"] = (
                        reached
                    )
            med = {learner: statistics.median(t) for learner, t in seconds.items()}
            medians[(name, batch)] = med
            base = med["vectorlearn"]
            for learner in learners:
                reached_all = all(
                    checks[f"{name}, batch {b}: {learner} (seed {s}) reaching {goal:.4f}"]
                    for s in seeds
                )
                rows.append(
                    (
                        name,
                        label,
                        learner,
                        f"{med[learner]:.3f}" if reached_all else f"not reached in {cap}",
                        "/".join(str(e) for e in epochs[learner]),
                        f"{base / med[learner]:.2f}x",
                    )
                )
    notes.append("Targets (1.02x scikit-learn's best validation loss): " + "; ".join(references))
    for jax_name, times in compiles.items():
        notes.append(
            f"{jax_name}: compilation, untimed (a warm-up run per case and batch size): "
            f"{min(times):.2f}-{max(times):.2f} s."
        )
    if jax_reason is not None:
        notes.append(f"No JAX rows: {jax_reason}.")
    if not have_torch:
        notes.append("No PyTorch rows: torch is not installed (`pip install torch==2.13.0`).")
    return {
        "title": TITLE,
        "setup": (
            f"hidden {HIDDEN} ReLU, Adam lr {LEARNING_RATE:g}, float32; validation loss checked "
            "once per epoch and its time included for every learner; seconds are the median over "
            f"seeds {', '.join(map(str, seeds))} (interleaved: each seed runs every learner in "
            f"turn, each fit after a {SETTLE_SECONDS:g} s pause; on the data sets under "
            f"{SMALL_ROWS:,} rows, {SMALL_ROUNDS} rounds of the seeds), epochs are listed per "
            "seed; last column = vectorlearn's seconds / the "
            "learner's (below 1: vectorlearn is faster). Targets, reference runs and "
            "initializations: see `benchmarks/time_to_target.py`."
        ),
        "header": ("data", "batch", "learner", "s to target", "epochs (per seed)", "vl / this"),
        "rows": rows,
        "notes": notes,
        "checks": checks,
        "targets": _targets(medians),
    }


BARS = (  # (ours, the peer, batch sizes, the largest ratio allowed)
    ("vectorlearn", "scikit-learn float32", (256, 2048), 0.5),
    ("vectorlearn", "PyTorch eager", (256, 2048), 0.7),
    ("vectorlearn", "PyTorch eager", (64,), 0.4),
    ("vectorlearn", "JAX jit", (64, 256, 2048), 1.2),
    ("vectorlearn on JAX", "JAX jit", (64, 256, 2048), 1.2),
)


def _targets(medians: dict) -> list[tuple]:
    """The issue's bars, each as the worst case over the data sets (ours / peer)."""
    rows = []
    for ours, peer, batches, bound in BARS:
        for batch in batches:
            ratios = {
                name: med[ours] / med[peer]
                for (name, b), med in medians.items()
                if b == batch and peer in med and ours in med
            }
            worst = max(ratios, key=ratios.get) if ratios else None
            rows.append(
                target(
                    f"MLP time to target{'' if ours == 'vectorlearn' else ' of ' + ours} "
                    f"vs {peer}, batch {batch}, worst data set"
                    + (f" ({worst.split(' (')[0]})" if worst else ""),
                    ratios[worst] if worst else None,
                    "<=",
                    bound,
                )
            )
    return rows
