"""GPU diagnosis at batch 16384: a fit's fixed cost against its cost per epoch, and the CUDA
kernels and copies each learner launches (torch.profiler).

    python -m benchmarks.gpu_steps

Run it on a machine with an NVIDIA GPU (about a minute); the numbers are in GAPS.md.
"""

import time
import warnings

import torch

from benchmarks.gpu_check import make_data, plain_torch
from vectorlearn import MLPClassifier

M, HIDDEN, BATCH = 1_000_000, (256, 256), 16384


def fit(X, y, epochs):
    model = MLPClassifier(
        HIDDEN, batch_size=BATCH, max_iter=epochs, tol=0.0, n_iter_no_change=10**6, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)


def seconds(run):
    torch.cuda.synchronize()
    start = time.perf_counter()
    run()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def main():
    X_np, y_np = make_data(M, 50)
    X, y = torch.asarray(X_np, device="cuda"), torch.asarray(y_np, device="cuda")
    fit(X, y, 1)
    plain_torch(X, y, HIDDEN, BATCH, 1)
    for epochs in (1, 4):
        ours = sorted(seconds(lambda e=epochs: fit(X, y, e)) for _ in range(3))[1]
        theirs = sorted(
            seconds(lambda e=epochs: plain_torch(X, y, HIDDEN, BATCH, e)) for _ in range(3)
        )[1]
        print(
            f"epochs={epochs}: vectorlearn fit {ours:.3f} s, plain PyTorch {theirs:.3f} s "
            "(with its accuracy pass)"
        )
    X_5, y_5 = X[: 5 * BATCH], y[: 5 * BATCH]
    runs = {
        "vectorlearn": lambda: fit(X_5, y_5, 2),
        "plain PyTorch": lambda: plain_torch(X_5, y_5, HIDDEN, BATCH, 2),
    }
    for name, run in runs.items():
        run()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as trace:
            run()
            torch.cuda.synchronize()
        launched = [e for e in trace.events() if e.device_type.name == "CUDA"]
        print(
            f"{name}: {len(launched)} CUDA kernels and copies over 2 epochs of 5 steps, and set-up"
        )


if __name__ == "__main__":
    main()
