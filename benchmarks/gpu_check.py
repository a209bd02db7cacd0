"""GPU check: the backend tests on CUDA, and MLP training on the GPU against plain PyTorch.

    python -m benchmarks.gpu_check [--quick]

Run it on a machine with an NVIDIA GPU (about 5 minutes); it prints a Markdown table to paste into
BENCHMARKS.md. Every contender trains the same network on the same data on the GPU for the same
epochs (vectorlearn and plain PyTorch on CUDA tensors; vectorlearn on JAX arrays too, where JAX
is installed, on JAX's default device); times are medians of interleaved repeats, synchronized
before each clock read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

# JAX would otherwise take 75% of the GPU's memory at its first use, before PyTorch's share
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def backend_tests() -> int:
    """The backend test file, GPU cases only (torch on CUDA, CuPy, and JAX on its default
    device, the GPU where jax[cuda] is installed)."""
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "tests/test_backends.py",
            "-k",
            "cuda or cupy or jax",
            "-rs",
        ]
    )


def make_data(m, n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, n)).astype(np.float32)
    w = rng.normal(size=(n,))
    y = (np.tanh(X[:, : n // 2]) @ w[: n // 2] + X[:, n // 2 :] ** 2 @ w[n // 2 :] * 0.1) > 0
    return X, y.astype(np.float32)


def plain_torch(X, y, hidden, batch, epochs, seed=0):
    import torch

    torch.manual_seed(seed)
    layers, width = [], X.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 1)).to(X.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    m = X.shape[0]
    for _ in range(epochs):
        order = torch.randperm(m, device=X.device)
        for start in range(0, m, batch):
            idx = order[start : start + batch]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X[idx])[:, 0], y[idx]).backward()
            optimizer.step()
    with torch.no_grad():
        return float(((model(X)[:, 0] > 0).float() == y).float().mean())


def vectorlearn_fit(X, y, hidden, batch, epochs):
    from vectorlearn import MLPClassifier

    model = MLPClassifier(
        hidden,
        batch_size=batch,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=10**6,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return float(model.score(X, y))


def jax_arrays(X_np, y_np):
    """``X_np`` and ``y_np`` on JAX's default device (the GPU with jax[cuda]), or None without
    JAX (which allocates as it goes: see XLA_PYTHON_CLIENT_PREALLOCATE above)."""
    try:
        import jax
    except ImportError:
        return None
    return jax.device_put(X_np), jax.device_put(y_np)


def timed(run, sync):
    sync()
    start = time.perf_counter()
    result = run()
    sync()
    return time.perf_counter() - start, result


def timings(quick: bool, device: str = "cuda", batches=(256, 2048, 16384)):
    import torch

    m, n = (200_000, 50) if quick else (1_000_000, 50)
    hidden, epochs, repeats = (256, 256), (1 if quick else 2), (2 if quick else 3)
    X_np, y_np = make_data(m, n)
    X, y = torch.asarray(X_np, device=device), torch.asarray(y_np, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    on_jax = jax_arrays(X_np, y_np)  # each fit's score is a host float: JAX is synced by it
    rows = []
    for batch in batches if not quick else (2048,):
        contenders = {
            "vectorlearn (torch tensors)": lambda b=batch: vectorlearn_fit(X, y, hidden, b, epochs),
            "plain PyTorch": lambda b=batch: plain_torch(X, y, hidden, b, epochs),
        }
        if on_jax is not None:
            import jax

            def full_float32(b=batch):  # as PyTorch's products: no TF32
                with jax.default_matmul_precision("highest"):
                    return vectorlearn_fit(*on_jax, hidden, b, epochs)

            contenders["vectorlearn (JAX arrays, compiled; JAX's default TF32)"] = lambda b=batch: (
                vectorlearn_fit(*on_jax, hidden, b, epochs)
            )
            contenders["vectorlearn (JAX arrays, compiled; full float32)"] = full_float32
        for run in contenders.values():  # warm-up: kernels, allocator, cuBLAS handles
            run()
        times = {name: [] for name in contenders}
        accuracy = {}
        for _ in range(repeats):
            for name, run in contenders.items():
                seconds, accuracy[name] = timed(run, sync)
                times[name].append(seconds)
        base = statistics.median(times["plain PyTorch"])
        for name in contenders:
            t = statistics.median(times[name])
            rows.append((batch, name, t / epochs, t / base, accuracy[name]))
    return m, n, hidden, epochs, repeats, rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--device", default="cuda", help="cpu: a dry run of the script here")
    parser.add_argument(
        "--batches", type=int, nargs="+", default=[256, 2048, 16384], help="batch sizes to time"
    )
    args = parser.parse_args(argv)
    import torch

    print(
        f"torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"GPU: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}"
    )
    try:
        import cupy

        print(f"cupy {cupy.__version__}")
    except ImportError:
        print("cupy not installed")
    try:
        import jax

        print(f"jax {jax.__version__}, devices: {jax.devices()}")
    except ImportError:
        print("jax not installed")
    status = 0 if args.skip_tests else backend_tests()
    m, n, hidden, epochs, repeats, rows = timings(args.quick, args.device, args.batches)
    print(
        f"\nMLP {hidden} ReLU, Adam, float32, {m:,} x {n}, {epochs} epoch(s), median of {repeats}\n"
    )
    print("| batch | learner | s per epoch | vs plain PyTorch | train accuracy |")
    print("|---|---|---|---|---|")
    for batch, name, per_epoch, ratio, acc in rows:
        print(f"| {batch} | {name} | {per_epoch:.3f} | {ratio:.2f}x | {acc:.3f} |")
    verdict = "passed" if status == 0 else f"FAILED (exit {status})"
    print(f"\nbackend tests on the GPU: {'skipped (--skip-tests)' if args.skip_tests else verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main())
