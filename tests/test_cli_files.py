"""The command line on data files: train on a CSV, then predict, evaluate and summary; bad input.

Each CLI call is a subprocess, as a user runs it. A call spends most of its two or three seconds
importing, so most calls are made in four batches, each a module-scoped fixture whose calls
run side by side (one per CPU): the trainings, the uses of the trained models, the bad data
files, the bad models and outputs. Each call works in a folder of its own, so its directory
listing shows what the call left behind; each test then checks one call.
"""

import io
import json
import os
import pickle
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run as run_here
from sklearn import datasets

import vectorlearn
from vectorlearn.cli import _plain_model, _predict
from vectorlearn.persist import FORMAT_VERSION
from vectorlearn.tabular import ColumnRoles, feature_frame, infer_roles, read_table

EPOCHS = "40"
MODEL = "model.npz"
WORKERS = max(2, os.cpu_count() or 2)  # more calls at once than CPUs only slows each one down


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # train writes runs/<timestamp> into the working folder


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vectorlearn", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def ok(result):
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def assert_one_line_error(result, *fragments):
    """Exit status 2, one line on stderr naming the problem, nothing on stdout, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("vectorlearn: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert result.stdout == ""


def listing(folder) -> list[str]:
    folder = Path(folder)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def in_process(model_file, data_file):
    """The model, as loaded in this process, and the feature frame of ``data_file``."""
    model = vectorlearn.load(model_file)  # the Pipeline: preprocessing, then the network
    roles = ColumnRoles.from_dict(vectorlearn.load_info(model_file)["roles"])
    return model, feature_frame(read_table(data_file), roles)


# ---- data files made from scikit-learn's bundled data sets -------------------------------------
def cancer_frame() -> pd.DataFrame:
    """Breast cancer with an id, a text category, a whole-number category, free text, an empty
    column, gaps, and a text target."""
    rng = np.random.default_rng(0)
    bunch = datasets.load_breast_cancer(as_frame=True)
    frame = bunch.frame.iloc[:, :6].copy()
    m = len(frame)
    frame.insert(0, "PatientId", np.arange(1001, 1001 + m))
    frame.loc[rng.random(m) < 0.05, "mean radius"] = np.nan
    frame["clinic"] = rng.choice(["north", "south", "east"], m).astype(object)
    frame.loc[rng.random(m) < 0.05, "clinic"] = np.nan
    frame["grade"] = rng.integers(1, 5, m).astype(float)
    frame.loc[rng.random(m) < 0.05, "grade"] = np.nan
    frame["notes"] = [f"seen on day {i} by dr {rng.integers(100)}" for i in range(m)]
    frame["empty"] = np.nan
    frame["diagnosis"] = np.where(bunch.target == 1, "benign", "malignant")
    return frame


def iris_frame() -> pd.DataFrame:
    """Kaggle's iris: an ``Id`` column, two numeric features, a text target."""
    bunch = datasets.load_iris(as_frame=True)
    return pd.DataFrame(
        {
            "Id": np.arange(1, 151),
            "PetalLengthCm": bunch.frame["petal length (cm)"],
            "PetalWidthCm": bunch.frame["petal width (cm)"],
            "Species": np.array(["Iris-setosa", "Iris-versicolor", "Iris-virginica"])[bunch.target],
        }
    )


def wine_frame() -> pd.DataFrame:
    """Wine with a whole-number category ``batch`` and whole-number labels ``cultivar``."""
    rng = np.random.default_rng(1)
    bunch = datasets.load_wine(as_frame=True)
    frame = bunch.frame[["alcohol", "malic_acid", "ash", "magnesium", "color_intensity"]].copy()
    frame["batch"] = rng.integers(1, 4, len(frame))
    frame["cultivar"] = bunch.target
    return frame


def diabetes_frame() -> pd.DataFrame:
    """Diabetes (unscaled: whole-number ages, sex 1 or 2) with gaps and a text category."""
    rng = np.random.default_rng(2)
    frame = datasets.load_diabetes(as_frame=True, scaled=False).frame
    frame = frame.rename(columns={"target": "progression"})
    frame.loc[rng.random(len(frame)) < 0.05, "bmi"] = np.nan
    frame.insert(3, "site", rng.choice(["a", "b"], len(frame)))
    return frame


MLP_OPTIONS = [
    "--model", "mlp", "--hidden", "8,4", "--activation", "tanh", "--solver", "adam",
    "--epochs", EPOCHS, "--batch-size", "32", "--learning-rate", "0.01", "--alpha", "0.001",
    "--dropout", "0.1", "--early-stopping", "--validation-fraction", "0.3", "--seed", "3",
    "--dtype", "float64",
]  # fmt: skip
WINE_ROLES = ["--drop", "alcohol", "--categorical", "magnesium", "--numeric", "batch"]
TRAININGS = {
    # name: (make the data, its file, train's options); all but cancer add --out run --json --quiet
    # logistic regression, the default run folder, progress and notes on stderr
    "cancer": (cancer_frame, "cancer.csv", ["--target", "diagnosis", "--epochs", EPOCHS]),
    # a network with every model option set
    "iris": (iris_frame, "iris.csv", ["--target", "Species", *MLP_OPTIONS, "--no-refit"]),
    # roles overridden with --drop, --categorical and --numeric
    "wine": (wine_frame, "wine.csv", ["--target", "cultivar", *WINE_ROLES, "--epochs", EPOCHS]),
    # regression, inferred from the target
    "diabetes": (
        diabetes_frame,
        "diabetes.csv",
        ["--target", "progression", "--hidden", "16", "--learning-rate", "0.1", "--epochs", EPOCHS],
    ),
    # regression, forced on whole-number labels
    "forced": (
        wine_frame,
        "wine.csv",
        ["--target", "cultivar", "--task", "regression", "--hidden", "4", "--epochs", "5"],
    ),
}


def _data_file(make, file):
    def prepare(folder, runs):
        make().to_csv(folder / file, index=False)

    return prepare


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Each of TRAININGS, trained side by side, each in its own folder: csv, run, result."""
    calls = {}
    for name, (make, file, options) in TRAININGS.items():
        out = [] if name == "cancer" else ["--out", "run", "--json", "--quiet"]
        calls[name] = (_data_file(make, file), ["train", file, *options, *out])
    runs = {}
    for name, call in side_by_side(tmp_path_factory, calls).items():
        ok(call.result)
        (run,) = (call.folder / "runs").iterdir() if name == "cancer" else [call.folder / "run"]
        csv = call.folder / TRAININGS[name][1]
        runs[name] = SimpleNamespace(csv=csv, run=run, result=call.result)
    return runs


@pytest.fixture(scope="module")
def cancer(trained):
    return trained["cancer"]


@pytest.fixture(scope="module")
def iris(trained):
    return trained["iris"]


@pytest.fixture(scope="module")
def wine(trained):
    return trained["wine"]


@pytest.fixture(scope="module")
def diabetes(trained):
    return trained["diabetes"]


def side_by_side(tmp_path_factory, cases, runs=None):
    """Run each case's command, WORKERS at a time, each in a folder of its own.

    ``cases`` maps a name to ``(prepare, args)``: ``prepare(folder, runs)`` writes the case's
    files; in ``args``, ``NAME.csv``, ``NAME.run`` and ``NAME.npz`` stand for the data file, run
    folder and model file of ``runs[NAME]``. Returns, for each case, its folder, the folder's
    listing before the call, and the call's result.
    """
    runs = runs or {}
    paths = {}
    for name, run in runs.items():
        paths |= {f"{name}.csv": run.csv, f"{name}.run": run.run, f"{name}.npz": run.run / MODEL}
    prepared = {}
    for case, (prepare, args) in cases.items():
        folder = tmp_path_factory.mktemp(case)
        prepare(folder, runs)
        prepared[case] = (folder, listing(folder), [paths.get(a, a) for a in args])
    with ThreadPoolExecutor(WORKERS) as pool:
        results = {
            case: pool.submit(cli, *args, cwd=folder)
            for case, (folder, _, args) in prepared.items()
        }
    return {
        case: SimpleNamespace(folder=folder, before=before, result=results[case].result())
        for case, (folder, before, _) in prepared.items()
    }


def nothing(folder, runs):
    pass


# ---- train --------------------------------------------------------------------------------------
def test_train_prints_the_column_roles_and_progress_on_stderr(cancer):
    err = cancer.result.stderr
    assert "dropped 'PatientId': it looks like an id" in err
    assert "dropped 'notes': free text" in err
    assert "dropped 'empty': it has no values" in err  # an all-NaN column is dropped with a note
    assert "classification of 'diagnosis'" in err
    assert (
        "numeric: mean radius, mean texture, mean perimeter, mean area, mean smoothness, "
        "mean compactness; categorical: clinic, grade"
    ) in err
    assert re.search(r"^epoch +1 +cost ", err, re.MULTILINE)  # progress, since not --quiet
    out = cancer.result.stdout
    assert not re.search(r"^epoch|cost|vectorlearn:", out, re.MULTILINE)  # stdout: results only


def test_train_prints_the_results_table_on_stdout(cancer):
    out = cancer.result.stdout
    assert out.startswith("LogisticRegression on cancer.csv (classification of 'diagnosis';")
    assert re.search(r"^ +train +validation$", out, re.MULTILINE)
    for metric in ("accuracy", "log-loss", "roc-auc"):
        assert re.search(rf"^{metric} +0\.\d{{4}} +0\.\d{{4}}$", out, re.MULTILINE), metric
    assert "confusion matrix (validation; rows: true, columns: predicted)" in out
    assert re.search(r"^ +benign +malignant$", out, re.MULTILINE)
    assert out.rstrip().endswith(f"run folder: {Path('runs', cancer.run.name)}")


def test_train_writes_a_timestamped_run_folder(cancer):
    assert cancer.run.parent.name == "runs"
    assert re.fullmatch(r"\d{8}-\d{6}(-\d+)?", cancer.run.name)
    assert listing(cancer.run) == [
        "checkpoint.npz",  # every 10 epochs by default, to resume a crashed run
        "learning_curve.png",
        "metrics.json",
        "model.npz",
        "run.json",  # the data's SHA-256 and the options, which --resume checks
    ]  # and no .lock: a run removes its lock file when it ends
    run = json.loads((cancer.run / "run.json").read_text())
    assert run["data"] == "cancer.csv" and len(run["data_sha256"]) == 64
    assert run["options"]["model"] == "logreg" and run["options"]["epochs"] == int(EPOCHS)
    assert (cancer.run / "learning_curve.png").read_bytes().startswith(b"\x89PNG")
    metrics = json.loads((cancer.run / "metrics.json").read_text())
    assert metrics["task"] == "classification" and metrics["target"] == "diagnosis"
    assert metrics["roles"] == {
        "numeric": [
            "mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness",
            "mean compactness",
        ],
        "categorical": ["clinic", "grade"],
        "dates": [],
        "dropped": ["PatientId", "notes", "empty"],
        "id_column": "PatientId",
    }  # fmt: skip
    assert metrics["n_train"] + metrics["n_validation"] == 569
    for split in ("train", "validation"):
        assert set(metrics[split]) >= {"accuracy", "log_loss", "roc_auc", "confusion_matrix"}
        assert metrics[split]["labels"] == ["benign", "malignant"]
    assert np.sum(metrics["validation"]["confusion_matrix"]) == metrics["n_validation"]
    assert metrics["validation"]["accuracy"] > 0.8


def test_the_model_file_keeps_the_inferred_roles(cancer):
    info = vectorlearn.load_info(cancer.run / MODEL)
    assert info["task"] == "classification"
    assert info["roles"] == infer_roles(read_table(cancer.csv), "diagnosis").to_dict()


def test_train_json_gives_the_metrics_and_every_model_option_reaches_the_model(iris):
    assert iris.result.stderr == ""  # --quiet
    result = json.loads(iris.result.stdout)
    assert result == json.loads((iris.run / "metrics.json").read_text())
    assert result["model"] == "MLPClassifier" and result["task"] == "classification"
    assert result["roles"]["id_column"] == "Id"
    assert result["roles"]["numeric"] == ["PetalLengthCm", "PetalWidthCm"]
    assert (result["n_train"], result["n_validation"]) == (105, 45)  # --validation-fraction 0.3
    for split in ("train", "validation"):
        assert set(result[split]) >= {"accuracy", "log_loss", "roc_auc", "confusion_matrix"}
        assert np.shape(result[split]["confusion_matrix"]) == (3, 3)
    params = vectorlearn.load(iris.run / MODEL).steps[-1][1].get_params()
    expected = {
        "hidden_layer_sizes": (8, 4),
        "activation": "tanh",
        "solver": "adam",
        "max_iter": int(EPOCHS),
        "batch_size": 32,
        "learning_rate_init": 0.01,
        "alpha": 0.001,
        "dropout": 0.1,
        "early_stopping": True,
        "random_state": 3,
        "dtype": "float64",
    }
    assert {name: params[name] for name in expected} == expected


def test_two_numeric_features_give_a_decision_boundary_picture(iris, cancer):
    assert listing(iris.run) == [
        "checkpoint.npz",
        "decision_boundary.png",
        "learning_curve.png",
        "metrics.json",
        "model.npz",
        "run.json",
    ]
    assert (iris.run / "decision_boundary.png").read_bytes().startswith(b"\x89PNG")
    assert not (cancer.run / "decision_boundary.png").exists()  # six numeric and two categories


def test_regression_is_inferred_and_reports_r2_rmse_mae(diabetes):
    result = json.loads(diabetes.result.stdout)
    assert result["task"] == "regression" and result["model"] == "MLPRegressor"
    assert result["roles"]["categorical"] == ["sex", "site"]  # whole numbers 1, 2 and text
    assert "age" in result["roles"]["numeric"] and "bmi" in result["roles"]["numeric"]
    for split in ("train", "validation"):
        assert set(result[split]) == {"r2", "rmse", "mae"}
        assert all(np.isfinite(v) for v in result[split].values())
        assert result[split]["rmse"] >= result[split]["mae"] > 0
    assert result["validation"]["r2"] > 0.2
    assert listing(diabetes.run) == [
        "checkpoint.npz",
        "learning_curve.png",
        "metrics.json",
        "model.npz",
        "run.json",
    ]


def test_the_task_can_be_forced(trained):
    result = json.loads(trained["forced"].result.stdout)
    assert result["task"] == "regression" and result["model"] == "MLPRegressor"
    assert set(result["validation"]) == {"r2", "rmse", "mae"}


def test_role_overrides_change_what_summary_and_metrics_report(wine, used):
    inferred = infer_roles(read_table(wine.csv), "cultivar")
    assert "alcohol" in inferred.numeric and "magnesium" in inferred.numeric
    assert inferred.categorical == ["batch"]
    result = json.loads(wine.result.stdout)
    assert result["task"] == "classification"  # whole-number labels
    expected = {
        "numeric": ["malic_acid", "ash", "color_intensity", "batch"],
        "categorical": ["magnesium"],
        "dates": [],
        "dropped": ["alcohol"],
        "id_column": None,
    }
    assert result["roles"] == expected
    assert json.loads((wine.run / "metrics.json").read_text())["roles"] == expected
    summary = ok(used["summary-wine"].result).stdout
    assert "numeric columns: malic_acid, ash, color_intensity, batch\n" in summary
    assert "categorical columns: magnesium\n" in summary
    assert "dropped columns: alcohol\n" in summary
    assert "id column: none\n" in summary


# ---- predict, evaluate, summary, gradcheck ------------------------------------------------------
def _wine_without_dropped_column(folder, runs):
    wine_frame().drop(columns=["alcohol", "cultivar"]).to_csv(folder / "new.csv", index=False)


def _unseen_categories(folder, runs):
    frame = read_table(runs["cancer"].csv)
    frame.loc[:20, "clinic"] = "west"  # not a training category
    frame.loc[10:30, "grade"] = 7
    frame.to_csv(folder / "unseen.csv", index=False)


def _extra_column(folder, runs):
    read_table(runs["cancer"].csv).assign(scanner="x").to_csv(folder / "extra.csv", index=False)


OUT = ["-o", "predictions.csv"]
USES = {
    "cancer-proba": (nothing, ["predict", "cancer.run", "cancer.csv", *OUT, "--proba"]),
    "cancer-stdout": (nothing, ["predict", "cancer.npz", "cancer.csv"]),
    "iris-proba": (nothing, ["predict", "iris.run", "iris.csv", *OUT, "--proba", "--quiet"]),
    "diabetes": (nothing, ["predict", "diabetes.run", "diabetes.csv", *OUT]),
    "wine-new": (_wine_without_dropped_column, ["predict", "wine.run", "new.csv", *OUT]),
    "unseen": (_unseen_categories, ["predict", "cancer.run", "unseen.csv", *OUT, "--proba"]),
    "extra": (_extra_column, ["predict", "cancer.run", "extra.csv", *OUT]),
    "evaluate-cancer": (nothing, ["evaluate", "cancer.run", "cancer.csv", "--json"]),
    "evaluate-diabetes": (nothing, ["evaluate", "diabetes.npz", "diabetes.csv"]),
    "summary-iris": (nothing, ["summary", "iris.run"]),
    "summary-wine": (nothing, ["summary", "wine.run"]),
    "gradcheck": (nothing, ["gradcheck"]),
}


@pytest.fixture(scope="module")
def used(tmp_path_factory, trained):
    """Each of USES, run side by side on the trained models."""
    return side_by_side(tmp_path_factory, USES, trained)


def predicted(use) -> pd.DataFrame:
    """What a use of ``predict -o predictions.csv`` wrote; the one file it added to its folder."""
    ok(use.result)
    assert use.result.stdout == ""
    assert listing(use.folder) == sorted([*use.before, "predictions.csv"])
    return pd.read_csv(use.folder / "predictions.csv")  # the default parser reads %.17g exactly


def test_predict_after_train_reproduces_the_in_process_predictions(cancer, used):
    use = used["cancer-proba"]
    written = predicted(use)
    assert use.result.stderr == ""
    # Kaggle's submission shape: the id column first, then the prediction named as the target.
    assert list(written.columns) == ["PatientId", "diagnosis", "proba_benign", "proba_malignant"]
    model, X = in_process(cancer.run / MODEL, cancer.csv)
    np.testing.assert_array_equal(written["PatientId"], read_table(cancer.csv)["PatientId"])
    np.testing.assert_array_equal(written["diagnosis"], model.predict(X))
    np.testing.assert_array_equal(written.iloc[:, 2:].to_numpy(), model.predict_proba(X))


def test_predict_takes_the_model_file_and_writes_to_stdout(cancer, used):
    result = ok(used["cancer-stdout"].result)
    written = pd.read_csv(io.StringIO(result.stdout))
    assert list(written.columns) == ["PatientId", "diagnosis"]
    model, X = in_process(cancer.run / MODEL, cancer.csv)
    np.testing.assert_array_equal(written["diagnosis"], model.predict(X))


def test_predict_proba_of_three_classes_is_exact(iris, used):
    written = predicted(used["iris-proba"])
    classes = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
    assert list(written.columns) == ["Id", "Species"] + [f"proba_{c}" for c in classes]
    model, X = in_process(iris.run / MODEL, iris.csv)
    np.testing.assert_array_equal(written["Species"], model.predict(X))
    np.testing.assert_array_equal(written.iloc[:, 2:].to_numpy(), model.predict_proba(X))
    assert (written["Species"] == iris_frame()["Species"]).mean() > 0.8


def test_predict_of_a_regression_is_exact(diabetes, used):
    written = predicted(used["diabetes"])
    assert list(written.columns) == ["progression"]  # no id column in the training data
    model, X = in_process(diabetes.run / MODEL, diabetes.csv)
    np.testing.assert_array_equal(written["progression"], model.predict(X))


def test_predict_does_not_need_dropped_columns(wine, used):
    use = used["wine-new"]
    written = predicted(use)
    assert list(written.columns) == ["cultivar"]
    model, X = in_process(wine.run / MODEL, use.folder / "new.csv")
    np.testing.assert_array_equal(written["cultivar"], model.predict(X))


def test_predict_ignores_categories_it_has_not_seen(cancer, used):
    use = used["unseen"]
    written = predicted(use)
    assert use.result.stderr == ""
    model, X = in_process(cancer.run / MODEL, use.folder / "unseen.csv")
    assert {"west", "7"} <= set(X["clinic"]) | set(X["grade"])
    np.testing.assert_array_equal(written["diagnosis"], model.predict(X))
    np.testing.assert_array_equal(written.iloc[:, 2:].to_numpy(), model.predict_proba(X))


def test_predict_ignores_an_extra_column_with_a_note(used):
    use = used["extra"]
    written = predicted(use)
    assert use.result.stderr.splitlines() == [
        "vectorlearn: ignored column(s) the model was not trained with: scanner"
    ]
    assert list(written.columns) == ["PatientId", "diagnosis"]


# ---- predict with NumPy alone (cli._plain_model) ------------------------------------------------
def _gappy(run, folder) -> Path:
    """``run``'s data with gaps in a numeric and a categorical column, and unseen categories."""
    frame = read_table(run.csv)
    roles = ColumnRoles.from_dict(vectorlearn.load_info(run.run / MODEL)["roles"])
    frame.loc[::7, roles.numeric[0]] = np.nan
    for name in roles.categorical:
        frame[name] = frame[name].astype(object)
        frame.loc[1::9, name] = np.nan
        frame.loc[2::11, name] = "never seen"
    frame.to_csv(folder / "gappy.csv", index=False)
    return folder / "gappy.csv"


def _both_ways(monkeypatch, *args):
    """``vectorlearn ARGS`` in this process with the plain model, then with the Pipeline."""
    plain = run_here(*args)
    with monkeypatch.context() as patch:
        patch.setattr(_predict, "plain_bundle", lambda path: None)
        return plain, run_here(*args)


@pytest.mark.parametrize("name", ["cancer", "iris", "wine", "diabetes", "forced"])
def test_predict_applies_each_cli_model_with_numpy_alone_to_the_same_bits(
    trained, name, tmp_path, monkeypatch
):
    file, data = trained[name].run / MODEL, _gappy(trained[name], tmp_path)
    found = _plain_model.read(file)
    assert found is not None  # the layout _preprocessor builds, read without scikit-learn
    (plain, info), (model, X) = found, in_process(file, data)
    classification = info["task"] == "classification"
    labels, proba = plain.predict(X, proba=classification)
    expected = model.predict(X)
    np.testing.assert_array_equal(labels, expected)
    assert labels.dtype == expected.dtype
    if classification:
        np.testing.assert_array_equal(proba, model.predict_proba(X))
    options = ["--proba"] if classification else []
    plain_run, pipeline_run = _both_ways(monkeypatch, "predict", file, data, *options)
    assert plain_run == pipeline_run and plain_run[0] == 0  # the same bytes on stdout and stderr


def test_predict_of_a_cli_model_imports_neither_scikit_learn_nor_scipy(cancer, tmp_path):
    code = (
        "import sys; from vectorlearn.cli import main; status = main(sys.argv[1:]); "
        "print(status, sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    args = ["predict", cancer.run, _gappy(cancer, tmp_path), "--proba", "-o", tmp_path / "p.csv"]
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "0 []", result.stderr
    model, X = in_process(cancer.run / MODEL, tmp_path / "gappy.csv")
    np.testing.assert_array_equal(pd.read_csv(tmp_path / "p.csv")["diagnosis"], model.predict(X))


@pytest.mark.parametrize("value", ["inf", "1e300", "-1.5e200"])
def test_predict_leaves_values_the_plain_model_does_not_take_to_the_pipeline(
    cancer, tmp_path, monkeypatch, value
):
    frame = read_table(cancer.csv)
    frame["mean radius"] = frame["mean radius"].astype(object)
    frame.loc[3, "mean radius"] = value  # inf: refused; beyond 1.3e154 once scaled: scaled logits
    frame.to_csv(tmp_path / "odd.csv", index=False)
    plain, _ = _plain_model.read(cancer.run / MODEL)
    _, X = in_process(cancer.run / MODEL, tmp_path / "odd.csv")
    with pytest.raises(_plain_model.Declined):
        plain.predict(X)
    plain_run, pipeline_run = _both_ways(monkeypatch, "predict", cancer.run, tmp_path / "odd.csv")
    assert plain_run == pipeline_run
    assert plain_run[0] == (2 if value == "inf" else 0)


def _text(old, new):
    """An edit of the metadata's JSON text."""

    def edit(meta, arrays):
        text = json.dumps(meta)
        assert old in text
        return json.loads(text.replace(old, new))

    return edit


def _columns_state(meta) -> dict:
    """The ColumnTransformer's stored attributes."""
    return meta["pipeline"]["preprocessing"]["state"]["steps"]["list"][0]["tuple"][1]["state"]


def _encoder_state(meta) -> dict:
    transformers = _columns_state(meta)["transformers_"]["list"]
    part = next(t["tuple"][1] for t in transformers if t["tuple"][0] == "categorical")
    return part["state"]["steps"]["list"][1]["tuple"][1]["state"]


def _edit(change):
    """An edit made in place on the metadata."""

    def edit(meta, arrays):
        change(meta)
        return meta

    return edit


def _float_width(widths):
    widths[0] = float(widths[0])  # the same number: scikit-learn cannot index with it


def _keys_swapped(meta):
    step = meta["pipeline"]["preprocessing"]
    meta["pipeline"]["preprocessing"] = {"state": step["state"], "estimator": step["estimator"]}


def _surrogate_category(meta, arrays):
    key = _encoder_state(meta)["categories_"]["list"][0]["array"]
    arrays[key] = np.array(["\ud800x", *arrays[key][1:].tolist()])  # pandas cannot look it up
    return meta


# Edits of a CLI model's metadata that the plain model declines: each is a file that
# persist.load refuses, or one that scikit-learn computes with otherwise than the plain model
# would (its internal attributes disagreeing with the public ones), or a step the CLI never
# writes. (run, edit) pairs.
DECLINED_EDITS = {
    "imputer-strategy": ("cancer", _text('"strategy": "median"', '"strategy": "mean"')),
    "unfitted-imputer-strategy": (
        "cancer",
        _text(
            '"strategy": "median", "fill_value": null, "copy": true}',
            '"strategy": "bogus", "fill_value": null, "copy": true}',
        ),
    ),
    "scaler-without-mean": ("cancer", _text('"with_mean": true', '"with_mean": false')),
    "encoder-drop": ("cancer", _text('"drop": null', '"drop": "first"')),
    "remainder": ("cancer", _text('"remainder": "drop"', '"remainder": "passthrough"')),
    "another-scaler": (
        "cancer",
        _text("preprocessing.StandardScaler", "preprocessing.MinMaxScaler"),
    ),
    "untrusted-step": (
        "cancer",
        _text('"verbose": false', '"verbose": {"estimator": "os.system"}'),
    ),
    "a-step-as-a-value": (
        "cancer",
        _text('"n_jobs": null', '"n_jobs": {"estimator": "sklearn.X"}'),
    ),
    "sparse": ("cancer", _text('"sparse_output_": false', '"sparse_output_": true')),
    "unknown-attribute": ("cancer", _text('"copy": true', '"copy": true, "memory_hog": 1')),
    "malformed-fitted-value": ("cancer", _text('{"dtype": "float64"}', '{"dtype": "complex128"}')),
    "missing-parameter": ("cancer", _edit(lambda meta: _columns_state(meta).pop("n_jobs"))),
    "columns-by-index": (
        "cancer",
        _edit(
            lambda m: _columns_state(m)["_transformer_to_input_indices"]["dict"][0][1][
                "list"
            ].reverse()
        ),
    ),
    "one-hot-widths": (
        "cancer",
        _edit(lambda m: _encoder_state(m)["_n_features_outs"]["list"].reverse()),
    ),
    "final-step": ("cancer", _edit(lambda meta: meta["pipeline"].update(final_step=3))),
    "target-transform-of-a-classifier": (
        "cancer",
        _edit(lambda meta: meta.update(target_transform={"estimator": "x", "state": {}})),
    ),
    "unknown-parameter": (
        "cancer",
        _edit(lambda meta: meta["estimator"]["params"].update(bogus=1)),
    ),
    "parameter-out-of-range": (
        "cancer",
        _edit(lambda meta: meta["estimator"]["params"].update(C=-1.0)),
    ),
    "hidden-sizes": (
        "iris",
        _edit(
            lambda meta: meta["estimator"]["params"].update(hidden_layer_sizes={"tuple": [8, 5]})
        ),
    ),
    "a-width-as-a-float": (
        "cancer",
        _edit(lambda m: _float_width(_encoder_state(m)["_n_features_outs"]["list"])),
    ),
    "keys-in-another-order": ("cancer", _edit(_keys_swapped)),
    "a-malformed-part": (
        "cancer",
        _edit(lambda m: _columns_state(m)["transformers"]["list"].append({"tuple": [{"b": 1}]})),
    ),
    "a-malformed-remainder": (
        "cancer",
        _edit(
            lambda m: _columns_state(m)["transformers_"]["list"][-1]["tuple"].__setitem__(
                2, {"b": 1}
            )
        ),
    ),
    "surrogate-category": ("cancer", _surrogate_category),
    "no-target-transform-scaler": (
        "diabetes",
        _edit(lambda meta: meta["target_transform"]["state"].pop("transformer")),
    ),
}


@pytest.mark.parametrize("edit", list(DECLINED_EDITS))
def test_the_plain_model_declines_any_other_file_and_the_pipeline_takes_it(
    trained, tmp_path, monkeypatch, edit
):
    from vectorlearn._archive import read_archive, write_archive

    name, change = DECLINED_EDITS[edit]
    file = trained[name].run / MODEL
    meta, arrays = read_archive(file, "vectorlearn-model", FORMAT_VERSION, "model")
    write_archive(tmp_path / MODEL, change(meta, arrays), arrays)
    assert _plain_model.read(file) is not None
    assert _plain_model.read(tmp_path / MODEL) is None
    plain_run, pipeline_run = _both_ways(
        monkeypatch, "predict", tmp_path / MODEL, trained[name].csv
    )
    assert plain_run == pipeline_run  # the loader's refusal, or the Pipeline's predictions


def _states(meta) -> list[dict]:
    """Every stored step's attributes, the estimator's parameters and its attributes, in a
    fixed order."""
    found, stack = [meta["estimator"]["params"], meta["estimator"]["attributes"]], [meta]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "estimator" in item and isinstance(item.get("state"), dict):
                found.append(item["state"])
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


GONE = object()


@pytest.mark.parametrize("name", ["cancer", "diabetes"])
def test_the_plain_model_reads_a_file_only_as_the_pipeline_does(trained, tmp_path, name):
    """Each stored attribute of each step, and each of the estimator's parameters and fitted
    attributes, removed or replaced in turn: where the plain model still reads the file,
    ``vectorlearn.load`` reads it too, without a warning, and predicts the same bits."""
    import copy
    import warnings

    from vectorlearn._archive import read_archive, write_archive

    file, data = trained[name].run / MODEL, _gappy(trained[name], tmp_path)
    meta, arrays = read_archive(file, "vectorlearn-model", FORMAT_VERSION, "model")
    roles = ColumnRoles.from_dict(meta["info"]["roles"])
    X = feature_frame(read_table(data), roles)
    proba = meta["info"]["task"] == "classification"
    edited, read, wrong = tmp_path / MODEL, 0, []
    for index, state in enumerate(_states(meta)):
        for key in list(state):
            for value in (GONE, None, 0, "x", {"dtype": "int64"}, {"list": []}):
                changed = copy.deepcopy(meta)
                target = _states(changed)[index]
                target.pop(key) if value is GONE else target.update({key: value})
                write_archive(edited, changed, arrays)
                found = _plain_model.read(edited)
                if found is None:
                    continue
                read += 1
                labels, probabilities = found[0].predict(X, proba)
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error")
                        model = vectorlearn.load(edited)
                        same = np.array_equal(labels, model.predict(X)) and (
                            not proba or np.array_equal(probabilities, model.predict_proba(X))
                        )
                except Exception as error:  # the plain model read what the Pipeline cannot take
                    same = f"{type(error).__name__}: {error}"[:120]
                if same is not True:
                    wrong.append((index, key, "removed" if value is GONE else value, same))
    assert not wrong, wrong
    assert read > 10  # edits that change nothing (an unused value's spelling) still read


def test_the_plain_model_checks_the_estimators_own_parameter_tables():
    from vectorlearn import _params

    for cls in (
        vectorlearn.LogisticRegression,
        vectorlearn.MLPClassifier,
        vectorlearn.MLPRegressor,
    ):
        assert _params.CONSTRAINTS[cls.__name__] is cls._parameter_constraints
        assert set(cls._parameter_constraints) == set(cls._get_param_names())


def test_evaluate_scores_a_labelled_file(cancer, used):
    result = json.loads(ok(used["evaluate-cancer"].result).stdout)
    assert result["task"] == "classification" and result["n"] == 569
    model, X = in_process(cancer.run / MODEL, cancer.csv)
    y = read_table(cancer.csv)["diagnosis"].to_numpy()
    assert result["metrics"]["accuracy"] == np.mean(model.predict(X) == y)
    assert np.sum(result["metrics"]["confusion_matrix"]) == 569


def test_evaluate_prints_a_table_of_regression_metrics(used):
    out = ok(used["evaluate-diabetes"].result).stdout
    for metric in ("r2", "rmse", "mae"):
        assert re.search(rf"^{metric} +-?\d+\.\d{{4}}$", out, re.MULTILINE), metric


def test_summary_shows_the_roles_and_the_layer_shapes(used):
    out = ok(used["summary-iris"].result).stdout
    assert out.startswith("MLPClassifier for classification of 'Species'\n")
    assert "numeric columns: PetalLengthCm, PetalWidthCm\n" in out
    assert "categorical columns: none\n" in out
    assert "dropped columns: Id\n" in out and "id column: Id\n" in out
    for shape in ("(2, 8)", "(8, 4)", "(4, 3)"):  # W of each layer: (n_{l-1}, n_l)
        assert shape in out
    assert "total parameters: 75" in out  # (2*8 + 8) + (8*4 + 4) + (4*3 + 3)


def test_gradcheck_prints_relative_errors_and_exits_0(used):
    out = ok(used["gradcheck"].result).stdout
    assert re.search(r"^ *softmax head: W1 \d\.\de-\d\d ", out, re.MULTILINE)
    assert out.rstrip().endswith("ok (bound 1e-7)")


def test_train_and_predict_a_parquet_file(tmp_path):
    pytest.importorskip("pyarrow", reason="reading Parquet needs pyarrow, which is optional")
    iris_frame().to_parquet("iris.parquet")
    ok(cli("train", "iris.parquet", "--target", "Species", "--epochs", "20", "--out", "run",
           "--quiet"))  # fmt: skip
    ok(cli("predict", "run", "iris.parquet", "-o", "predictions.csv", "--proba"))
    written = pd.read_csv("predictions.csv")
    model, X = in_process(tmp_path / "run" / MODEL, tmp_path / "iris.parquet")
    np.testing.assert_array_equal(written["Species"], model.predict(X))
    np.testing.assert_array_equal(written.iloc[:, 2:].to_numpy(), model.predict_proba(X))


# ---- bad input: exit status 2, one line on stderr, nothing left behind -------------------------
def _small_frame(target_values=None):
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "a": rng.normal(size=30),
            "b": rng.normal(size=30),
            "y": ["p", "q"] * 15 if target_values is None else target_values,
        }
    )


def _write(content):
    """Prepare a folder with ``data.csv`` holding ``content`` (bytes, text or a data frame)."""

    def prepare(folder, runs):
        if isinstance(content, bytes):
            (folder / "data.csv").write_bytes(content)
        elif isinstance(content, str):
            (folder / "data.csv").write_text(content)
        else:
            content.to_csv(folder / "data.csv", index=False)

    return prepare


def train(target):
    return ["train", "data.csv", "--target", target, "--epochs", "5"]


BAD_DATA = {
    # case: ((prepare, command), fragments of the one-line message)
    "missing-file": ((nothing, train("y")), ["data.csv: no such file"]),
    "binary-garbage": (
        (_write(b"\x89PNG\r\n\x1a\n" + np.random.default_rng(4).bytes(400)), train("y")),
        ["data.csv could not be read as a table"],
    ),
    "broken-quoting": (
        (_write('a,b,y\n1,"2,p\n3,4,q\n'), train("y")),
        ["data.csv could not be read as a table"],
    ),
    "zero-bytes": ((_write(b""), train("y")), ["data.csv is empty"]),
    "header-only": ((_write("a,b,y\n"), train("y")), ["data.csv has a header but no rows"]),
    "no-such-target": (
        (_write(_small_frame()), train("label")),
        ["no target column 'label'; the columns are: a, b, y"],
    ),
    "one-class": (
        (_write(_small_frame(["p"] * 30)), train("y")),
        ["the target 'y' has only one class ('p')"],
    ),
    "only-feature-all-nan": (
        (_write(pd.DataFrame({"a": [np.nan] * 30, "y": ["p", "q"] * 15})), train("y")),
        ["no usable feature columns are left after dropping a"],
    ),
}


@pytest.fixture(scope="module")
def bad_data(tmp_path_factory):
    return side_by_side(tmp_path_factory, {case: call for case, (call, _) in BAD_DATA.items()})


@pytest.mark.parametrize("case", list(BAD_DATA))
def test_train_refuses_bad_data_in_one_line(bad_data, case):
    use = bad_data[case]
    assert_one_line_error(use.result, *BAD_DATA[case][1])
    assert listing(use.folder) == use.before  # no runs/ folder


def _bad_model_file(content):
    def prepare(folder, runs):
        (folder / "bad").mkdir()
        (folder / "bad" / MODEL).write_bytes(content)

    return prepare


class _OpensAFileWhenUnpickled:
    """A pickle that, if anything unpickled it, would create the file ``unpickled``."""

    def __reduce__(self):
        return (open, ("unpickled", "w"))


def _newer_format(folder, runs):
    """The cancer model, its metadata saying it is of a format newer than this vectorlearn's."""
    with np.load(runs["cancer"].run / MODEL, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays["__metadata__"]))
    meta["format_version"] = FORMAT_VERSION + 1
    arrays["__metadata__"] = np.array(json.dumps(meta))
    (folder / "bad").mkdir()
    np.savez(folder / "bad" / MODEL, **arrays)


def _without_grade(folder, runs):
    read_table(runs["cancer"].csv).drop(columns=["grade"]).to_csv(folder / "data.csv", index=False)


def _a_folder(folder, runs):
    (folder / "predictions.csv").mkdir()


NOT_A_MODEL = "bad/model.npz is not a vectorlearn model file"
NEWER = [
    f"bad/model.npz was written by vectorlearn {vectorlearn.__version__} in model format "
    f"{FORMAT_VERSION + 1}",
    "Upgrade vectorlearn",
]
BAD_MODEL_USE = {
    # case: ((prepare, command), fragments of the one-line message)
    "random-bytes": (
        (
            _bad_model_file(b"no model" + np.random.default_rng(5).bytes(500)),
            ["predict", "bad", "cancer.csv", *OUT],
        ),
        [NOT_A_MODEL],
    ),
    "pickle-renamed": (  # refused unread: no file "unpickled" appears in the listing
        (
            _bad_model_file(
                pickle.dumps([vectorlearn.LogisticRegression(), _OpensAFileWhenUnpickled()])
            ),
            ["predict", "bad/model.npz", "cancer.csv", *OUT],
        ),
        [NOT_A_MODEL],
    ),
    "newer-format": ((_newer_format, ["predict", "bad", "cancer.csv", *OUT]), NEWER),
    "newer-format-summary": ((_newer_format, ["summary", "bad/model.npz"]), NEWER),
    "newer-format-evaluate": ((_newer_format, ["evaluate", "bad", "cancer.csv"]), NEWER),
    "missing-column": (
        (_without_grade, ["predict", "cancer.run", "data.csv", *OUT]),
        ["the data lacks column(s) the model needs: grade"],
    ),
    "output-in-missing-folder": (
        (nothing, ["predict", "cancer.run", "cancer.csv", "-o", "no/such/folder/out.csv"]),
        ["cannot write no/such/folder/out.csv: No such file or directory"],
    ),
    "output-is-a-folder": (  # fails after writing: the temporary file must go
        (_a_folder, ["predict", "cancer.run", "cancer.csv", *OUT]),
        ["cannot write predictions.csv"],
    ),
    "proba-of-a-regression": (
        (nothing, ["predict", "diabetes.run", "diabetes.csv", *OUT, "--proba"]),
        ["--proba is for classification models"],
    ),
}


@pytest.fixture(scope="module")
def bad_model_use(tmp_path_factory, trained):
    cases = {case: call for case, (call, _) in BAD_MODEL_USE.items()}
    return side_by_side(tmp_path_factory, cases, trained)


@pytest.mark.parametrize("case", list(BAD_MODEL_USE))
def test_bad_models_and_bad_outputs_are_refused_in_one_line(bad_model_use, case):
    use = bad_model_use[case]
    assert_one_line_error(use.result, *BAD_MODEL_USE[case][1])
    assert listing(use.folder) == use.before  # no output file, no temporary file beside it


def test_train_refuses_an_out_folder_under_a_regular_file(tmp_path):
    _small_frame().to_csv("data.csv", index=False)
    Path("file").write_text("not a folder")
    result = cli("train", "data.csv", "--target", "y", "--out", "file/run", "--quiet")
    assert_one_line_error(result, "cannot create the run folder file/run")
    assert listing(tmp_path) == ["data.csv", "file"]
    assert Path("file").read_text() == "not a folder"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--model", "logreg"], "logreg is for classification"),
        (["--validation-fraction", "0"], "--validation-fraction must be above 0"),
    ],
    ids=["logreg-for-a-regression", "no-validation-rows"],
)
def test_an_option_error_leaves_no_run_folder(tmp_path, options, message):
    _small_frame(np.linspace(0, 1, 30)).to_csv("data.csv", index=False)
    result = cli("train", "data.csv", "--target", "y", *options, "--quiet")
    assert_one_line_error(result, message)
    assert listing(tmp_path) == ["data.csv"]


def test_debug_shows_the_traceback():
    result = cli("train", "missing.csv", "--target", "y", "--debug")
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == "ValueError: missing.csv: no such file"
