"""The floor: a full-batch MLP epoch against the bare matrix products it needs; and memory."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np

from vectorlearn import MLPClassifier

from ._timing import interleaved, target

TITLE = "Full-batch epoch against its bare matrix products; peak memory of fit"

MEMORY_SCRIPT = """
import json, sys, warnings
import numpy as np
from vectorlearn import MLPClassifier

def status(field):  # kB from /proc/self/status
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field + ":"))

m, n = int(sys.argv[1]), 50
X = np.empty((m, n), dtype=np.float32)
np.random.default_rng(0).standard_normal(dtype=np.float32, out=X)  # no temporary copy
y = (X[:, 0] > 0).astype(np.int64)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak resident size (VmHWM) to the current one
before = status("VmRSS")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    MLPClassifier((64, 64), batch_size=256, max_iter=1, random_state=0).fit(X, y)
print(json.dumps({"before": before, "peak": status("VmHWM"), "data": X.nbytes}))
"""


def run(quick: bool = False) -> dict:
    m, n, h = (20_000, 50, 64) if quick else (100_000, 50, 64)
    repeats = 3 if quick else 7
    rng = np.random.default_rng(0)
    X = rng.standard_normal((m, n), dtype=np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(np.int64)
    W1, W2, W3 = (rng.standard_normal(s, dtype=np.float32) for s in [(n, h), (h, h), (h, 1)])
    A0 = X.T  # (n, m), as the core sees it
    A1 = rng.standard_normal((h, m), dtype=np.float32)
    D1 = rng.standard_normal((1, m), dtype=np.float32)

    def bare():  # the 3 forward and 5 backward products of one full-batch epoch
        W1.T @ A0, W2.T @ A1, W3.T @ A1  # K_l = W_l^T A_{l-1}
        A1 @ D1.T, W3 @ D1, A1 @ A1.T, W2 @ A1, A0 @ A1.T  # dW_l = A dK^T, dA = W dK

    def fit(epochs):
        model = MLPClassifier(
            (h, h), batch_size=None, max_iter=epochs, random_state=0, n_iter_no_change=10**6
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)

    medians = interleaved(
        {"bare": bare, "fit 1 epoch": lambda: fit(1), "fit 6 epochs": lambda: fit(6)}, repeats
    )
    per_epoch = (medians["fit 6 epochs"] - medians["fit 1 epoch"]) / 5  # setup cancels out
    ratio = per_epoch / medians["bare"]
    memory_m = 100_000 if quick else 1_000_000
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(memory_m)],
        capture_output=True,
        text=True,
        check=True,
    )
    mem = json.loads(out.stdout)
    growth = (mem["peak"] - mem["before"]) / mem["data"]
    rows = [
        ("bare matrix products of one full-batch epoch", f"{medians['bare']:.4f}", "1.00x", ""),
        (
            "vectorlearn full-batch epoch: (fit of 6 epochs - fit of 1) / 5",
            f"{per_epoch:.4f}",
            f"{ratio:.2f}x",
            f"target <= 1.3x; fit's setup: {medians['fit 1 epoch'] - per_epoch:.4f} s",
        ),
        (
            f"peak memory of fit on {memory_m:,} x 50 float32 (Adam, batch 256)",
            f"{(mem['peak'] - mem['before']) / 2**20:.0f} MB more at the peak",
            f"{1 + growth:.2f}x the data",
            "target <= 1.6x",
        ),
    ]
    return {
        "title": TITLE,
        "setup": (
            f"{m:,} x {n} float32, hidden ({h}, {h}) ReLU; times in seconds, medians of {repeats} "
            "interleaved runs; memory: a fresh process's peak resident size during fit minus its "
            "size before fit (with the data loaded), plus the data: the multiple of the data "
            "that fit holds at its peak"
        ),
        "header": ("what", "seconds / size", "ratio", "note"),
        "rows": rows,
        "checks": {},
        "targets": [
            target("full-batch MLP epoch vs its bare matrix products", ratio, "<=", 1.3),
            target(
                f"peak memory of fit on {memory_m:,} x 50 float32",
                1 + growth,
                "<=",
                1.6,
                "x the data",
            ),
        ],
    }
