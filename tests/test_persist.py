"""Saving and loading: identical predictions, no pickle, and untrusted files refused."""

import json
import os
import pickle
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_multilabel_classification
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import vectorlearn
from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor, load, load_info, save


def fitted(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


CASES = {
    "logreg binary": lambda: fitted(LogisticRegression(), iris()[0][:100], iris()[1][:100]),
    "logreg multiclass": lambda: fitted(LogisticRegression(solver="gd"), *iris()),
    "mlp multiclass": lambda: fitted(MLPClassifier((8, 4), max_iter=20, random_state=0), *iris()),
    "mlp string labels": lambda: fitted(
        MLPClassifier(
            (4,), max_iter=5, random_state=0, class_weight={"a": 2.0, "b": 1.0, "c": 1.0}
        ),
        iris()[0],
        np.array(["a", "b", "c"], dtype=object)[iris()[1]],
    ),
    "mlp multilabel": lambda: fitted(
        MLPClassifier((8,), max_iter=10, random_state=0),
        *make_multilabel_classification(60, n_features=5, n_classes=3, random_state=0),
    ),
    "mlp regressor": lambda: fitted(
        MLPRegressor((8,), max_iter=10, random_state=0, early_stopping=True),
        iris()[0],
        iris()[1] * 1.5,
    ),
    "mlp multi-target": lambda: fitted(
        MLPRegressor((8,), max_iter=10, random_state=0), iris()[0], iris()[0][:, :2]
    ),
}


def outputs(model, X):
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return model.predict(X)


@pytest.mark.parametrize("name", sorted(CASES))
def test_round_trip_gives_identical_predictions(name, tmp_path):
    model = CASES[name]()
    path = tmp_path / "model.npz"
    save(model, path)
    loaded = load(path)
    X = (
        iris()[0]
        if "multilabel" not in name
        else make_multilabel_classification(60, n_features=5, n_classes=3, random_state=0)[0]
    )
    np.testing.assert_array_equal(outputs(loaded, X), outputs(model, X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.get_params() == model.get_params()
    assert loaded.n_iter_ == model.n_iter_ and loaded.loss_curve_ == model.loss_curve_


def test_pipeline_with_column_transformer_and_dataframe(tmp_path):
    X, y = load_iris(return_X_y=True, as_frame=True)
    X = X.assign(colour=np.where(y == 0, "red", "blue"))
    X.iloc[::7, 0] = np.nan
    pre = ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                list(X.columns[:4]),
            ),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["colour"]),
        ]
    )
    pipe = fitted(
        Pipeline([("pre", pre), ("clf", MLPClassifier((8,), max_iter=30, random_state=0))]), X, y
    )
    path = tmp_path / "bundle.npz"
    save(pipe, path, info={"target": "species", "columns": list(X.columns)})
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert [name for name, _ in loaded.steps] == ["pre", "clf"]
    assert load_info(path) == {"target": "species", "columns": list(X.columns)}


def test_feature_names_survive(tmp_path):
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = fitted(LogisticRegression(), X, y)
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert list(loaded.feature_names_in_) == list(X.columns)
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(X[X.columns[::-1]])


def test_no_pickle_anywhere_in_the_file(tmp_path):
    save(CASES["mlp multiclass"](), tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        for name in archive.namelist():
            header = archive.read(name)[:128]
            assert b"'descr': '|O'" not in header  # no object arrays, which would need pickle
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        assert "__metadata__" in data.files


class Boom:
    """Unpickling this would create a file: proof of code execution if it ever happens."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_renamed_to_a_model_file_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(Boom(str(marker))))
    with pytest.raises(ValueError, match="not a vectorlearn model file"):
        load(path)
    assert not marker.exists()
    # and a real .npz with a pickled object array inside is refused too
    with open(path, "wb") as f:
        np.savez(f, __metadata__=np.array([Boom(str(marker))], dtype=object))
    with pytest.raises(ValueError, match="not a vectorlearn model file"):
        load(path)
    assert not marker.exists()


def rewrite_metadata(path, edit):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__metadata__"]))
    edit(meta)
    arrays["__metadata__"] = np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize(
    "edit,match",
    [
        (lambda m: m["estimator"].update({"class": "os.system"}), "not one of vectorlearn's"),
        (
            lambda m: m["estimator"]["attributes"].update({"__class__": {"value": 1}}),
            "no attribute",
        ),
        (lambda m: m.update({"format_version": 99}), "format 99.*Upgrade"),
        (lambda m: m.update({"format": "something-else"}), "not a vectorlearn model file"),
        (lambda m: m["estimator"]["params"].update({"alpha": -1}), "invalid parameters"),
        (lambda m: m["estimator"]["params"].update({"nonsense": 1}), "invalid parameters"),
        (
            lambda m: m["estimator"]["attributes"].update({"coefs_": {"arrays": ["nope"]}}),
            "missing",
        ),
    ],
)
def test_edited_files_are_refused_with_a_clear_error(tmp_path, edit, match):
    path = tmp_path / "m.npz"
    save(CASES["mlp multiclass"](), path)
    rewrite_metadata(path, edit)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_nan_or_misshapen_weights_are_refused(tmp_path):
    path = tmp_path / "m.npz"
    save(CASES["mlp multiclass"](), path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    bad_weights = [np.full((8, 4), np.nan, np.float32), np.zeros((8, 5), np.float32)]
    for key, bad in [("coefs_.1", bad_weights[0]), ("coefs_.1", bad_weights[1])]:
        edited = {**arrays, key: bad}
        with open(path, "wb") as f:
            np.savez(f, **edited)
        with pytest.raises(ValueError, match="NaN|wrong shape"):
            load(path)


def test_truncated_or_missing_files(tmp_path):
    path = tmp_path / "m.npz"
    save(CASES["logreg binary"](), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a vectorlearn model file"):
        load(path)
    with pytest.raises(ValueError, match="no such model file"):
        load(tmp_path / "absent.npz")
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="not a vectorlearn model file"):
        load(empty)


def test_preprocessing_with_a_function_cannot_be_saved(tmp_path):
    X, y = iris()
    pipe = Pipeline([("f", FunctionTransformer(abs)), ("clf", LogisticRegression())])
    fitted(pipe, X, y)
    with pytest.raises(TypeError, match="cannot save preprocessing.*builtin_function"):
        save(pipe, tmp_path / "p.npz")
    assert os.listdir(tmp_path) == []


def test_save_refuses_what_it_cannot_store_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "m.npz"
    with pytest.raises(TypeError, match="vectorlearn estimator"):
        save(StandardScaler().fit(iris()[0]), path)
    with pytest.raises(Exception, match="not fitted"):
        save(LogisticRegression(), path)
    model = fitted(MLPClassifier((4,), max_iter=2, random_state=np.random.default_rng(0)), *iris())
    with pytest.raises(TypeError, match="random_state"):
        save(model, path)
    assert os.listdir(tmp_path) == []
    save(CASES["logreg binary"](), path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        save(model, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.npz"]


def test_version_is_recorded(tmp_path):
    save(CASES["logreg binary"](), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        meta = json.loads(str(data["__metadata__"]))
    assert meta["vectorlearn_version"] == vectorlearn.__version__ and meta["format_version"] == 2


@pytest.mark.parametrize(
    "attribute,entry,match",
    [
        ("n_iter_", {"value": "many"}, "invalid value"),
        ("loss_curve_", {"value": [0.5, "x"]}, "invalid value"),
        ("out_activation_", {"value": "tanh"}, "invalid value"),
        ("coefs_", {"value": 3}, "cannot be"),
        ("n_features_in_", {"value": -4}, "invalid value"),
    ],
)
def test_every_field_is_checked(tmp_path, attribute, entry, match):
    path = tmp_path / "m.npz"
    save(CASES["mlp multiclass"](), path)
    rewrite_metadata(path, lambda m: m["estimator"]["attributes"].update({attribute: entry}))
    with pytest.raises(ValueError, match=match):
        load(path)


def test_integer_weights_are_refused(tmp_path):
    path = tmp_path / "m.npz"
    save(CASES["mlp multiclass"](), path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["coefs_.0"] = arrays["coefs_.0"].astype(np.int64)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ValueError, match="all be float32 or all float64"):
        load(path)


# ---- a regression model inside its target's standardization --------------------------------------
def target_scaled(tmp_path, in_pipeline=True):
    """An MLPRegressor trained on a standardized target around 1e5, saved; its path and X."""
    from sklearn.compose import TransformedTargetRegressor

    X, y = iris()
    wrapped = TransformedTargetRegressor(
        regressor=MLPRegressor((8,), max_iter=20, random_state=0), transformer=StandardScaler()
    )
    model = make_pipeline(StandardScaler(), wrapped) if in_pipeline else wrapped
    fitted(model, X, y * 1000 + 1e5)
    path = tmp_path / "m.npz"
    save(model, path)
    return model, path, X


@pytest.mark.parametrize("in_pipeline", [True, False])
def test_a_target_transform_round_trips_and_predicts_in_target_units(tmp_path, in_pipeline):
    model, path, X = target_scaled(tmp_path, in_pipeline)
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert abs(np.mean(loaded.predict(X)) - 1e5) < 2e3  # the target's units, not standardized
    with np.load(path, allow_pickle=False) as data:
        assert json.loads(str(data["__metadata__"]))["format_version"] == 3


def _edit_target(edit):
    def rewrite(meta):
        edit(meta["target_transform"]["state"])

    return rewrite


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        # a function by name: no encoding spells a callable, and a name is refused
        (lambda s: s.update(func="os.system"), "func"),
        (lambda s: s.update(inverse_func={"type": "int"}), "functions"),
        # a trusted class that is not a StandardScaler, as the transformer
        (
            lambda s: s.update(
                transformer={"estimator": "sklearn.preprocessing.MinMaxScaler", "state": {}}
            ),
            "StandardScaler|invalid",
        ),
        # a class outside the trusted list
        (
            lambda s: s.update(transformer={"estimator": "os.system", "state": {}}),
            "not a step vectorlearn trusts",
        ),
        # the regressor may not come from the wrapper's state
        (lambda s: s.update(regressor_={"estimator": "sklearn.pipeline.Pipeline"}), "unexpected"),
        (lambda s: s.update(_training_dim=2), "one-column"),
    ],
)
def test_a_crafted_target_transform_is_refused(tmp_path, edit, match):
    _, path, _ = target_scaled(tmp_path)
    rewrite_metadata(path, _edit_target(edit))
    with pytest.raises(ValueError, match=match):
        load(path)


def test_the_target_transform_is_trusted_only_as_the_final_step(tmp_path):
    _, path, _ = target_scaled(tmp_path)

    def wrapper_named(meta):
        meta["target_transform"]["estimator"] = "sklearn.compose.ColumnTransformer"

    rewrite_metadata(path, wrapper_named)
    with pytest.raises(ValueError, match="refusing"):
        load(path)
    _, path, _ = target_scaled(tmp_path)

    def inside_preprocessing(meta):  # the wrapper as a preprocessing step: not trusted there
        steps = meta["pipeline"]["preprocessing"]["state"]["steps"]
        steps["list"].append({"tuple": ["t", meta["target_transform"]]})

    rewrite_metadata(path, inside_preprocessing)
    with pytest.raises(ValueError, match="not a step vectorlearn trusts"):
        load(path)


def test_an_older_reader_refuses_a_target_transform_rather_than_ignore_it(tmp_path, monkeypatch):
    _, path, _ = target_scaled(tmp_path)
    monkeypatch.setattr(vectorlearn.persist, "FORMAT_VERSION", 2)
    with pytest.raises(ValueError, match="format 3"):
        load(path)


def test_a_target_transform_with_functions_cannot_be_saved(tmp_path):
    from sklearn.compose import TransformedTargetRegressor

    X, y = iris()
    model = fitted(
        TransformedTargetRegressor(
            regressor=MLPRegressor((4,), max_iter=5, random_state=0),
            func=np.log1p,
            inverse_func=np.expm1,
        ),
        X,
        y,
    )
    with pytest.raises(ValueError, match="func, inverse_func must be None"):
        save(model, tmp_path / "m.npz")
    assert not os.listdir(tmp_path)
