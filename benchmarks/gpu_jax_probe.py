"""GPU probe: how fast a compiled step could be. A jitted JAX epoch (``lax.scan`` over the Adam
steps) of the (256, 256) ReLU MLP at batch 16384, against plain PyTorch and vectorlearn on torch
tensors, on the same data and machine (see GAPS.md, the GPU item).

    python -m benchmarks.gpu_jax_probe      # on a machine with a CUDA GPU, jax[cuda] and torch

Each learner runs in its own process (JAX and PyTorch would both claim the GPU's memory), in two
interleaved rounds; the table gives medians. Whole batches only (61 x 16384 rows), so no learner
needs a step for a last partial batch. Not part of ``python -m benchmarks``: it needs a GPU.
"""

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, ".")
import itertools

import numpy as np

from benchmarks.gpu_check import make_data

BATCH, HIDDEN, EPOCHS, REPEATS = int(os.environ.get("PROBE_BATCH", 16384)), (256, 256), 2, 3
M = 61 * BATCH  # whole batches only: no partial-batch step for any learner


def jax_times():
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    import jax
    import jax.numpy as jnp

    X, y = make_data(M, 50)
    X, y = jnp.asarray(X), jnp.asarray(y)
    rng = np.random.default_rng(0)
    sizes = [50, *HIDDEN, 1]
    params = []
    for a, b in itertools.pairwise(sizes):
        bound = 1 / np.sqrt(a)
        params.append(
            (
                jnp.asarray(rng.uniform(-bound, bound, (a, b)).astype(np.float32)),
                jnp.asarray(rng.uniform(-bound, bound, (b,)).astype(np.float32)),
            )
        )

    def loss(params, Xb, yb):
        A = Xb
        for W, b in params[:-1]:
            A = jax.nn.relu(A @ W + b)
        K = (A @ params[-1][0] + params[-1][1])[:, 0]
        return jnp.mean(jnp.maximum(K, 0) - K * yb + jnp.log1p(jnp.exp(-jnp.abs(K))))

    def epoch(params, state, order):
        def body(carry, idx):
            params, (m, v, t) = carry
            g = jax.grad(loss)(params, X[idx], y[idx])
            t = t + 1
            m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, g)
            v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
            a = 1e-3 * jnp.sqrt(1 - 0.999**t) / (1 - 0.9**t)
            params = jax.tree_util.tree_map(
                lambda p, m, v: p - a * m / (jnp.sqrt(v) + 1e-8), params, m, v
            )
            return (params, (m, v, t)), None

        (params, state), _ = jax.lax.scan(body, (params, state), order.reshape(-1, BATCH))
        return params, state

    epoch = jax.jit(epoch)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)

    def fit():
        p, s = params, (zeros, zeros, jnp.asarray(0.0))
        for _ in range(EPOCHS):
            p, s = epoch(p, s, jnp.asarray(rng.permutation(M).astype(np.int32)))
        jax.block_until_ready(p)
        A = X
        for W, b in p[:-1]:
            A = jax.nn.relu(A @ W + b)
        return float(jnp.mean(((A @ p[-1][0] + p[-1][1])[:, 0] > 0) == (y > 0.5)))

    fit()  # compile
    out = []
    for _ in range(REPEATS):
        s = time.perf_counter()
        acc = fit()
        out.append(time.perf_counter() - s)
    return out, acc


def torch_times(which):
    import torch

    from benchmarks.gpu_check import plain_torch, vectorlearn_fit

    Xn, yn = make_data(M, 50)
    X, y = torch.asarray(Xn, device="cuda"), torch.asarray(yn, device="cuda")
    run = (
        (lambda: plain_torch(X, y, HIDDEN, BATCH, EPOCHS))
        if which == "torch"
        else (lambda: vectorlearn_fit(X, y, HIDDEN, BATCH, EPOCHS))
    )
    run()
    out = []
    for _ in range(REPEATS):
        torch.cuda.synchronize()
        s = time.perf_counter()
        acc = run()
        torch.cuda.synchronize()
        out.append(time.perf_counter() - s)
    return out, acc


if __name__ == "__main__":
    if len(sys.argv) > 1:
        f = jax_times if sys.argv[1] == "jax" else (lambda: torch_times(sys.argv[1]))
        times, acc = f()
        print(json.dumps({"times": times, "acc": acc}))
    else:
        rows = {}
        for _round in range(2):  # two interleaved rounds of separate processes
            for name in ("torch", "vectorlearn", "jax"):
                out = subprocess.run(
                    [sys.executable, __file__, name], capture_output=True, text=True
                )
                if out.returncode:
                    print(name, out.stderr[-2000:])
                    continue
                res = json.loads(out.stdout.strip().splitlines()[-1])
                rows.setdefault(name, []).extend(res["times"])
                rows[name + "_acc"] = res["acc"]
        base = statistics.median(rows["torch"])
        print(
            f"MLP {HIDDEN} ReLU, Adam, float32, {M:,} x 50, batch {BATCH}, {EPOCHS} epochs, "
            f"median of {len(rows['torch'])} (2 rounds x {REPEATS})"
        )
        for name in ("torch", "vectorlearn", "jax"):
            if name in rows:
                t = statistics.median(rows[name])
                print(
                    f"| {name} | {t / EPOCHS:.3f} s per epoch | {t / base:.2f}x plain PyTorch "
                    f"| accuracy {rows[name + '_acc']:.3f} |"
                )
