"""Long runs: checkpoints, resuming after SIGKILL bitwise, reproducibility, Ctrl-C."""

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from vectorlearn import LogisticRegression, MLPClassifier
from vectorlearn.persist import read_archive, write_archive

SCRIPT = textwrap.dedent(
    """
    import sys, time, warnings
    import numpy as np
    from sklearn.datasets import make_classification
    from vectorlearn import LogisticRegression, MLPClassifier

    kind, dtype, path, out, mode = sys.argv[1:6]
    X, y = make_classification(600, 12, n_informative=6, n_classes=3, random_state=0)
    if kind == "mlp":
        model = MLPClassifier((16, 8), batch_size=32, max_iter=25, dropout=0.1, random_state=3,
                              learning_rate="adaptive", n_iter_no_change=1000, dtype=dtype)
    else:
        model = LogisticRegression(solver="gd", max_iter=25, tol=0.0, dtype=dtype)

    def slow(info):  # a heartbeat, so the parent can kill the process in mid-run
        print(info["epoch"], flush=True)
        time.sleep(0.05)

    options = {"callbacks": [slow]}
    if mode in ("checkpointed", "resume"):
        options.update(checkpoint=path, checkpoint_every=1)
    if mode == "resume":
        options["resume"] = path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y, **options)
    weights = model.coefs_ + model.intercepts_ if kind == "mlp" else [model.coef_, model.intercept_]
    np.savez(out, *weights)
    """
)


def run_script(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, *map(str, args)], stdout=subprocess.PIPE, text=True, **kwargs
    )


def weights(path):
    with np.load(path, allow_pickle=False) as data:
        return [data[k] for k in sorted(data.files, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.parametrize("kind", ["mlp", "logreg"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_killed_then_resumed_equals_uninterrupted_bitwise(tmp_path, kind, dtype):
    checkpoint, killed_out = tmp_path / "checkpoint.npz", tmp_path / "never.npz"
    process = run_script(kind, dtype, checkpoint, killed_out, "checkpointed")
    for line in process.stdout:  # wait until some epochs have been checkpointed
        if int(line) >= 8:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL and not killed_out.exists()
    assert checkpoint.exists()
    saved_epoch = read_archive(checkpoint, "vectorlearn-checkpoint", 1, "checkpoint")[0]["epoch"]
    assert 8 <= saved_epoch < 25  # it died in the middle

    resumed, reference = tmp_path / "resumed.npz", tmp_path / "reference.npz"
    first = run_script(kind, dtype, checkpoint, resumed, "resume")
    epochs = [int(line) for line in first.stdout]
    assert first.wait(timeout=120) == 0
    assert epochs[0] == saved_epoch + 1  # it continued, it did not start over
    second = run_script(kind, dtype, "unused", reference, "plain")
    second.stdout.read()
    assert second.wait(timeout=120) == 0
    for a, b in zip(weights(resumed), weights(reference), strict=True):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)  # bitwise


def test_same_seed_same_weights_in_one_process_and_across_processes(tmp_path):
    from sklearn.datasets import make_classification

    X, y = make_classification(600, 12, n_informative=6, n_classes=3, random_state=0)
    for dtype in ("float64", "float32"):
        make = lambda dtype=dtype: MLPClassifier(  # noqa: E731
            (16, 8),
            batch_size=32,
            max_iter=25,
            dropout=0.1,
            random_state=3,
            learning_rate="adaptive",
            n_iter_no_change=1000,
            dtype=dtype,
        )
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a, b = make().fit(X, y), make().fit(X, y)
        for u, v in zip(a.coefs_, b.coefs_):
            np.testing.assert_array_equal(u, v)
        other = tmp_path / f"other-{dtype}.npz"
        process = run_script("mlp", dtype, "unused", other, "plain")
        process.stdout.read()
        assert process.wait(timeout=120) == 0
        for u, v in zip(weights(other), a.coefs_ + a.intercepts_):
            np.testing.assert_array_equal(u, v)


@pytest.fixture
def checkpoint_file(tmp_path):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    path = tmp_path / "checkpoint.npz"
    model = MLPClassifier((8,), max_iter=3, random_state=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y, checkpoint=path)
    return path, X, y


def resume(path, X, y, **params):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MLPClassifier(
            **{"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0, **params}
        ).fit(X, y, resume=path)


def edit(path, change):
    meta, arrays = read_archive(path, "vectorlearn-checkpoint", 1, "checkpoint")
    change(meta, arrays)
    write_archive(path, meta, arrays)


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda m, a: m.update(format_version=7), "format 7.*Upgrade"),
        (lambda m, a: m.update(estimator="LogisticRegression"), "estimator"),
        (lambda m, a: m.update(epoch=-1), "whole number"),
        (lambda m, a: m.update(epoch=2), "history does not match"),
        (lambda m, a: m["optimizer"].update({"class": "Momentum"}), "optimizer"),
        (lambda m, a: m["optimizer"]["state"].update(t="many"), "not a number"),
        (lambda m, a: m.update(rng={"bit_generator": "MT19937"}), "random generator"),
        (lambda m, a: a.update({"W.0": np.full_like(a["W.0"], np.nan)}), "NaN"),
        (lambda m, a: a.update({"W.0": a["W.0"][:, :3]}), "shape"),
        (lambda m, a: a.pop("B.0"), "missing"),
        (lambda m, a: m["history"].update(converged="yes"), "converged flag"),
    ],
)
def test_edited_checkpoints_are_refused(checkpoint_file, change, match):
    path, X, y = checkpoint_file
    edit(path, change)
    with pytest.raises(ValueError, match=match):
        resume(path, X, y)


def test_checkpoint_from_another_architecture_or_a_pickle_is_refused(checkpoint_file, tmp_path):
    path, X, y = checkpoint_file
    with pytest.raises(ValueError, match="network"):
        resume(path, X, y, hidden_layer_sizes=(9,))
    with pytest.raises(ValueError, match="dtype"):
        resume(path, X, y, dtype="float64")
    marker = tmp_path / "pwned"
    path.write_bytes(pickle.dumps(Boom(str(marker))))
    with pytest.raises(ValueError, match="not a vectorlearn checkpoint file"):
        resume(path, X, y)
    assert not marker.exists()
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="not a vectorlearn checkpoint file"):
        resume(path, X, y)


class Boom:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_lbfgs_has_no_checkpoints(tmp_path):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="epoch-based solver"):
        LogisticRegression().fit(X, y, checkpoint=tmp_path / "c.npz")


CLI_DATA = textwrap.dedent(
    """
    import numpy as np, pandas as pd
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40000, 20))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
    frame["label"] = np.where(X[:, 0] + X[:, 1] ** 2 > 1, "yes", "no")
    frame.to_csv("big.csv", index=False)
    """
)


def test_ctrl_c_in_the_cli_saves_the_model_and_exits_130(tmp_path):
    subprocess.run([sys.executable, "-c", CLI_DATA], cwd=tmp_path, check=True)
    command = [
        sys.executable,
        "-m",
        "vectorlearn",
        "train",
        "big.csv",
        "--target",
        "label",
        "--model",
        "mlp",
        "--hidden",
        "64,64",
        "--batch-size",
        "16",
        "--epochs",
        "500",
        "--checkpoint-every",
        "1",
        "--out",
        "run",
    ]
    process = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in process.stderr:  # progress lines: "epoch     1  cost ..."
        lines.append(line)
        if line.startswith("epoch") and int(line.split()[1]) >= 1:
            time.sleep(0.5)
            process.send_signal(signal.SIGINT)
            break
    rest = process.stderr.read()
    assert process.wait(timeout=120) == 130, [*lines, rest]
    assert "interrupted" in rest and "--resume run" in rest and "Traceback" not in rest
    assert (tmp_path / "run" / "model.npz").exists()
    assert (tmp_path / "run" / "checkpoint.npz").exists()
    predict = subprocess.run(
        [sys.executable, "-m", "vectorlearn", "predict", "run", "big.csv", "-o", "p.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert predict.returncode == 0, predict.stderr  # the saved model works
    info = json.loads(
        json.dumps(
            read_archive(
                tmp_path / "run" / "checkpoint.npz", "vectorlearn-checkpoint", 1, "checkpoint"
            )[0]
        )
    )
    assert info["epoch"] >= 1
    assert os.path.getsize(tmp_path / "run" / "model.npz") > 0


def test_mini_batch_results_do_not_depend_on_the_machine_s_blas_threads():
    """Mini-batches run with one BLAS thread whatever the pool holds, so the bits agree."""
    import warnings

    from sklearn.datasets import make_classification
    from threadpoolctl import threadpool_limits

    X, y = make_classification(2000, 30, random_state=0)
    results = []
    for threads in (1, 2):
        with threadpool_limits(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = MLPClassifier((32,), batch_size=128, max_iter=3, random_state=0).fit(X, y)
        results.append(model.coefs_)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_mini_batches_run_on_one_blas_thread_and_the_pools_are_scanned_once(monkeypatch):
    # the scan of the loaded libraries took 4 ms of every fit: one controller serves them all
    import warnings

    import threadpoolctl
    from sklearn.datasets import make_classification

    from vectorlearn.estimators import _fitting

    _fitting._blas_controller.cache_clear()
    built, threads = [], []
    original = threadpoolctl.ThreadpoolController.__init__
    monkeypatch.setattr(
        threadpoolctl.ThreadpoolController,
        "__init__",
        lambda self, *a, **k: built.append(1) or original(self, *a, **k),
    )

    def numpy_blas_threads(info):  # the pools' thread counts now, as the one controller sees
        pools = _fitting._blas_controller().info()
        threads.extend(p["num_threads"] for p in pools if p["user_api"] == "blas")

    X, y = make_classification(300, 5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(2):
            MLPClassifier((8,), batch_size=64, max_iter=2, random_state=0).fit(
                X, y, callbacks=[numpy_blas_threads]
            )
    assert len(built) == 1
    assert threads and set(threads) == {1}


def test_a_checkpoint_written_before_the_converged_flag_still_resumes(checkpoint_file):
    # checkpoints from before 2026-11-26 have no history.converged: read as not converged
    path, X, y = checkpoint_file
    edit(path, lambda m, a: m["history"].pop("converged"))
    assert resume(path, X, y, max_iter=8).n_iter_ == 8
