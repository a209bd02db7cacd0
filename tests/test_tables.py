"""Tables as practitioners bring them (issue #14): the refit on all rows, a regression target in
its own units, column roles read from the values in any row order, advice in the CLI's words.

Every table is shuffled, so that no decision can lean on the row order. The role decisions are
checked in process (``infer_roles``); the commands as a user runs them (a subprocess each).
"""

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import datasets
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import vectorlearn
from vectorlearn.tabular import feature_frame, infer_roles, read_table

TITANIC = Path(vectorlearn.__file__).parent / "labs" / "data" / "titanic.csv"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def cli(*args):
    result = subprocess.run(
        [sys.executable, "-m", "vectorlearn", *map(str, args)], capture_output=True, text=True
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args):
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    return result


def shuffled(frame, seed=0):
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


# ---- tables built to trip each decision ---------------------------------------------------------
def titanic() -> pd.DataFrame:
    """The lab's Titanic with Kaggle's ``PassengerId`` (1, 2, ...), rows shuffled."""
    frame = pd.read_csv(TITANIC)
    frame.insert(0, "PassengerId", np.arange(1, len(frame) + 1))
    return shuffled(frame)


def panel() -> pd.DataFrame:
    """Panel data: 300 people (numbers out of order, with gaps), each seen in 1980..1987."""
    rng = np.random.default_rng(0)
    people = rng.choice(np.arange(10, 20000), 300, replace=False)
    frame = pd.DataFrame(
        {
            "nr": np.repeat(people, 8),
            "year": np.tile(np.arange(1980, 1988), 300),
            "exper": rng.integers(0, 20, 2400),
            "hours": rng.normal(2000, 300, 2400).round(),
        }
    )
    frame["lwage"] = 1 + 0.05 * frame["exper"] + 0.02 * (frame["year"] - 1980)
    frame["lwage"] += rng.normal(0, 0.2, len(frame))
    return shuffled(frame)


def dated() -> pd.DataFrame:
    """Orders with a code-like id, ISO dates (half with a time) and weekend as the label."""
    rng = np.random.default_rng(1)
    m = 600
    when = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1095, m), unit="D")
    frame = pd.DataFrame(
        {
            "order": [f"ORD-{k:05d}" for k in rng.permutation(m)],
            "placed": when.strftime("%Y-%m-%d"),
            "amount": rng.gamma(2, 30, m).round(2),
            "weekend": np.where(when.day_of_week >= 5, "yes", "no"),
        }
    )
    frame.loc[::2, "placed"] = frame.loc[::2, "placed"] + "T10:30:00"
    return shuffled(frame)


def big_regression() -> pd.DataFrame:
    """Diabetes with its target moved to around 1e5 (x 1000 + 1e5), rows shuffled."""
    frame = datasets.load_diabetes(as_frame=True, scaled=False).frame
    frame["target"] = frame["target"] * 1000 + 1e5
    return shuffled(frame)


# ---- C. column roles that read the data, not the row order -------------------------------------
def test_a_shuffled_passenger_id_is_an_id():
    roles = infer_roles(titanic(), "survived")
    assert roles.id_column == "PassengerId" and "PassengerId" in roles.dropped
    assert "dropped 'PassengerId': it looks like an id (every value distinct)" in roles.notes


def test_code_like_text_ids_are_ids_in_any_order():
    roles = infer_roles(dated(), "weekend")
    assert roles.id_column == "order" and "order" not in roles.features


def test_a_repeated_person_number_is_a_group_id_and_years_stay_numeric():
    roles = infer_roles(panel(), "lwage")
    assert "nr" in roles.dropped and roles.id_column == "nr"
    assert any(
        "'nr': it looks like a group id (300 values, each in about 8 rows)" in n
        for n in roles.notes
    )
    assert roles.numeric == ["year", "exper", "hours"]  # year 1980..1987: ordered, not one-hot
    assert any("'year' is numeric: 8 ordered whole numbers" in n for n in roles.notes)


def test_a_balanced_whole_number_feature_is_not_a_group_id():
    frame = shuffled(pd.DataFrame({"minute": np.tile(np.arange(60), 50), "y": [0, 1] * 1500}))
    roles = infer_roles(frame, "y")  # 60 values, 50 rows each: a minute of the hour, not people
    assert roles.numeric == ["minute"] and roles.id_column is None


def test_few_unordered_whole_numbers_stay_categories():
    frame = pd.DataFrame({"grade": [1, 2, 3, 4] * 10, "code": [1, 5, 9, 40, 77, 3, 12, 8] * 5})
    frame["y"] = np.arange(40) % 2
    roles = infer_roles(frame, "y")
    assert roles.categorical == ["grade", "code"]  # 4 values; 8 values spread over 1..77


def test_iso_dates_become_year_month_weekday_and_days():
    frame = dated()
    roles = infer_roles(frame, "weekend")
    assert roles.dates == ["placed"] and "placed" not in roles.dropped
    features = feature_frame(frame, roles)
    first = pd.Timestamp(frame["placed"][0][:10])
    assert features["placed (year)"][0] == first.year
    assert features["placed (month)"][0] == str(first.month)  # a category
    assert features["placed (day of week)"][0] == str(first.day_of_week)
    days = (pd.Timestamp(frame["placed"][0]) - pd.Timestamp("1970-01-01")).total_seconds() / 86400
    assert features["placed (days since 1970-01-01)"][0] == pytest.approx(days)


def test_a_column_without_a_header_is_named_by_its_position(tmp_path):
    dated().to_csv("orders.csv")  # pandas writes the index with an empty header
    frame = read_table("orders.csv")
    assert frame.columns[0] == "column 1 (no header)"
    notes = " ".join(infer_roles(frame, "weekend").notes)
    assert "column 1 (no header)" in notes and "Unnamed" not in notes


def test_the_id_option_names_any_column_and_is_not_a_feature():
    roles = infer_roles(titanic(), "survived", id="age")
    assert roles.id_column == "age" and "age" not in roles.features
    with pytest.raises(ValueError, match="--id names columns that do not exist: nope"):
        infer_roles(titanic(), "survived", id="nope")
    with pytest.raises(ValueError, match="--id survived"):
        infer_roles(titanic(), "survived", id="survived")


def test_shuffled_titanic_predictions_keep_the_passenger_id():
    titanic().to_csv("titanic.csv", index=False)
    train = ok("train", "titanic.csv", "--target", "survived", "--out", "run")
    assert "dropped 'PassengerId': it looks like an id" in train.stderr
    ok("predict", "run", "titanic.csv", "-o", "predictions.csv")
    written = pd.read_csv("predictions.csv")
    assert list(written.columns) == ["PassengerId", "survived"]
    np.testing.assert_array_equal(written["PassengerId"], titanic()["PassengerId"])
    ok("train", "titanic.csv", "--target", "survived", "--id", "sibsp", "--out", "by-sibsp")
    ok("predict", "by-sibsp", "titanic.csv", "-o", "by-sibsp.csv")
    assert list(pd.read_csv("by-sibsp.csv").columns) == ["sibsp", "survived"]
    summary = ok("summary", "by-sibsp").stdout
    assert "id column: sibsp" in summary and "sibsp" not in summary.split("\n")[1]


def test_dates_are_learned_and_predicted_alike():
    dated().to_csv("orders.csv", index=False)
    train = ok("train", "orders.csv", "--target", "weekend", "--out", "run", "--epochs", "300")
    assert "'placed' holds dates" in train.stderr and "free text" not in train.stderr
    assert json.loads(Path("run/metrics.json").read_text())["validation"]["accuracy"] > 0.9
    ok("predict", "run", "orders.csv", "-o", "p.csv")
    assert (pd.read_csv("p.csv")["weekend"] == dated()["weekend"]).mean() > 0.9


# ---- B. a regression target in its own units ----------------------------------------------------
def test_a_target_around_1e5_scores_like_scikit_learn():
    frame = big_regression()
    frame.to_csv("big.csv", index=False)
    X, y = frame.drop(columns="target"), frame["target"].to_numpy()
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.25, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linear = make_pipeline(StandardScaler(), LinearRegression()).fit(X_train, y_train)
        mlp = make_pipeline(
            StandardScaler(),
            TransformedTargetRegressor(
                SkMLPRegressor(random_state=0, max_iter=500), transformer=StandardScaler()
            ),
        ).fit(X_train, y_train)
    best = max(r2_score(y_val, linear.predict(X_val)), r2_score(y_val, mlp.predict(X_val)))
    result = json.loads(
        ok(
            "train", "big.csv", "--target", "target", "--early-stopping", "--out", "run",
            "--json", "--quiet",
        ).stdout
    )  # fmt: skip
    assert result["n_validation"] == len(y_val)  # the same split: 25 %, seed 0
    assert result["validation"]["r2"] > best - 0.05, (result["validation"], best)
    assert 1e4 < result["validation"]["rmse"] < 1e5  # in the target's units
    ok("predict", "run", "big.csv", "-o", "p.csv")
    assert abs(pd.read_csv("p.csv")["target"].mean() - y.mean()) < 0.05 * y.mean()
    assert "predicts in its units" in ok("summary", "run").stdout
    evaluated = json.loads(ok("evaluate", "run", "big.csv", "--json").stdout)["metrics"]
    assert evaluated["r2"] > 0.4 and 1e4 < evaluated["rmse"] < 1e5


# ---- A. the refit on all rows -------------------------------------------------------------------
def test_train_refits_on_all_rows_with_the_chosen_epochs():
    options = ["--model", "mlp", "--early-stopping", "--epochs", "60", "--json", "--quiet"]
    refit = json.loads(ok("train", *options, "--out", "refit").stdout)
    kept = json.loads(ok("train", *options, "--no-refit", "--out", "kept").stdout)
    assert refit["validation"] == kept["validation"]  # both: the held-out fit's figures
    assert refit["saved_model"] == "refit on all rows" and kept["saved_model"] == "held-out fit"
    assert kept["refit"] is None
    assert refit["refit"]["n_rows"] == refit["n_train"] + refit["n_validation"] == 569
    saved = vectorlearn.load("refit/model.npz").steps[-1][1]
    held_out = vectorlearn.load("kept/model.npz").steps[-1][1]
    assert held_out.get_params()["max_iter"] == 60 and held_out.early_stopping
    assert saved.max_iter == held_out.best_epoch_ == refit["refit"]["epochs_chosen"]
    assert not saved.early_stopping and saved.n_iter_ <= saved.max_iter
    assert json.loads(Path("refit/metrics.json").read_text()) == refit
    text = ok("train", "--out", "table", "--quiet").stdout
    assert "saved: the model refitted on all 569 rows" in text


def test_resume_runs_the_refit_again_and_ends_with_the_same_model():
    options = ["--model", "mlp", "--epochs", "20", "--checkpoint-every", "7", "--quiet"]
    ok("train", *options, "--out", "run")
    shutil.copy("run/model.npz", "uninterrupted.npz")
    ok("train", "--resume", "run", "--quiet")  # from the checkpoint of epoch 14
    X = datasets.load_breast_cancer(as_frame=True).frame.drop(columns="target")
    np.testing.assert_array_equal(
        vectorlearn.load("run/model.npz").predict_proba(X),
        vectorlearn.load("uninterrupted.npz").predict_proba(X),
    )


# ---- D. advice in the command line's words ------------------------------------------------------
def test_a_run_cut_short_is_told_about_epochs_not_max_iter():
    err = ok("train", "--epochs", "3", "--out", "run").stderr
    assert err.count("more --epochs may help") == 1  # the held-out fit's; the refit says nothing
    assert "max_iter" not in err and "standardize" not in err


def test_early_stopping_and_the_refit_give_no_convergence_warning():
    err = ok("train", "--model", "mlp", "--early-stopping", "--out", "run").stderr
    assert "converge" not in err and "more --epochs" not in err


def test_ctrl_c_in_the_refit_saves_the_held_out_model_and_resume_refits():
    import signal
    import time

    command = [
        sys.executable, "-m", "vectorlearn", "train", "--model", "mlp", "--hidden", "64,64",
        "--batch-size", "4", "--epochs", "150", "--checkpoint-every", "10", "--out", "run",
    ]  # fmt: skip
    # The held-out fit stops on its own after 35-55 epochs, and the refit runs as many: at batch
    # 16 it could end before a Ctrl-C sent 0.3 s after its first line arrived (seen once in CI),
    # so the refit's batches are smaller (about 0.5 s in all) and the Ctrl-C goes sooner; a
    # checkpoint every 10 epochs is one the held-out fit surely wrote, for --resume.
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("refit"):  # the refit's first progress line
            time.sleep(0.05)
            process.send_signal(signal.SIGINT)
            break
    rest = process.stderr.read()
    assert process.wait(timeout=120) == 130, rest
    assert "the refit on all rows was stopped" in rest and "--resume run refits" in rest
    assert "Traceback" not in rest and not Path("run/metrics.json").exists()
    held_out = vectorlearn.load("run/model.npz").steps[-1][1]
    assert held_out.max_iter == 150  # the model fitted on the training split
    result = json.loads(ok("train", "--resume", "run", "--json", "--quiet").stdout)
    assert result["saved_model"] == "refit on all rows" and result["refit"]["n_rows"] == 569
