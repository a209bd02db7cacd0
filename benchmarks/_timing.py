"""Timing helpers: interleaved repeats, medians, and a description of the machine."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import time


def interleaved(contenders: dict, repeats: int) -> dict[str, float]:
    """Run each ``{name: zero-argument callable}`` once per round, ``repeats`` rounds, in turn.

    Interleaving makes noise from the machine hit every contender alike. Returns the median
    seconds of each.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def target(name: str, value: float | None, relation: str, bound: float, unit: str = "x"):
    """One row of the targets table: what, the measured value, the target, and whether it is met."""
    if value is None:
        return (name, "not measured", f"{relation} {bound:g}{unit}", "n/a")
    met = value >= bound if relation == ">=" else value <= bound
    shown = f"{value:,.0f}{unit}" if value >= 100 else f"{value:.2f}{unit}"
    return (name, shown, f"{relation} {bound:g}{unit}", "met" if met else "MISSED")


def machine() -> dict[str, str]:
    """CPU, cores, BLAS and library versions, for the header of ``BENCHMARKS.md``."""
    import numpy
    import scipy
    import sklearn

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    info = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }
    for package in ("torch", "dask", "dask_ml", "vectorlearn"):
        try:
            info[package] = __import__(package).__version__
        except ImportError:
            info[package] = "not installed"
    try:
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        info["blas"] = "; ".join(
            f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture')}, "
            f"{p.get('num_threads')} threads)"
            for p in blas
        )
    except ImportError:
        info["blas"] = "unknown (threadpoolctl not installed)"
    return info
