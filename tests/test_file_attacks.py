"""Model files built as an attacker would: gadgets, bombs, and fields that contradict each other.

Each file here is refused with one ``ValueError`` naming the problem, runs nothing (a marker
file would appear), and makes the loader allocate little (measured with tracemalloc, which sees
NumPy's allocations).
"""

import io
import json
import re
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    RobustScaler,
    StandardScaler,
)

from vectorlearn import LogisticRegression, MLPClassifier, load, save

MB = 2**20


def quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


def read(path):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return json.loads(str(arrays.pop("__metadata__"))), arrays


def write(path, meta, arrays, text=None):
    arrays = {**arrays, "__metadata__": np.array(text or json.dumps(meta))}
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def files(iris, tmp_path_factory):
    """A saved binary MLP, a multiclass MLP, a logistic regression and a CLI-like pipeline."""
    X, y = iris
    folder = tmp_path_factory.mktemp("models")
    frame = {"a": X[:, 0], "b": np.array(["x", "y", "z"])[y]}
    import pandas as pd

    frame = pd.DataFrame(frame)
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["a"]),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["b"]),
        ]
    )
    models = {
        "binary": quiet_fit(MLPClassifier((4,), max_iter=5, random_state=0), X[:100], y[:100]),
        "multiclass": quiet_fit(MLPClassifier((4,), max_iter=5, random_state=0), X, y),
        "logreg": quiet_fit(LogisticRegression(), X, y),
        "pipeline": quiet_fit(Pipeline([("pre", pre), ("clf", LogisticRegression())]), frame, y),
    }
    paths = {}
    for name, model in models.items():
        paths[name] = folder / f"{name}.npz"
        save(model, paths[name])
    return paths


# ---- code execution ----------------------------------------------------------------------------
GADGETS = [
    "sklearn.utils._testing.check_output",  # is subprocess.check_output
    "sklearn.datasets._california_housing.remove",  # is os.remove
    "builtins.eval",
    "os.system",
    "sklearn.preprocessing.FunctionTransformer.__init__",
]


@pytest.mark.parametrize("gadget", GADGETS)
def test_preprocessing_cannot_name_a_function(files, tmp_path, gadget):
    """The issue's attack, in the current format: a step whose class is a function that
    scikit-learn imports (subprocess.check_output), with the command as its state."""
    meta, arrays = read(files["pipeline"])
    marker = tmp_path / "marker"
    meta["pipeline"]["preprocessing"]["state"]["verbose"] = {
        "estimator": gadget,
        "state": {"args": {"list": ["sh", "-c", f"id > {marker}"]}},
    }
    write(tmp_path / "m.npz", meta, arrays)
    with pytest.raises(ValueError, match="not a step vectorlearn trusts"):
        load(tmp_path / "m.npz")
    assert not marker.exists()


@pytest.mark.parametrize(
    "node",
    [
        {"type": "os.system"},
        {"dtype": "O,O"},
        {"scalar": ["object", 1]},
        {"reduce": ["sklearn.utils._testing.check_output", ["id"]]},
        {"array": "nope"},
    ],
)
def test_no_tag_spells_a_callable(files, tmp_path, node):
    meta, arrays = read(files["pipeline"])
    meta["pipeline"]["preprocessing"]["state"]["verbose"] = node
    write(tmp_path / "m.npz", meta, arrays)
    with pytest.raises(ValueError, match="preprocessing|arrays nope are missing"):
        load(tmp_path / "m.npz")


def test_a_pipeline_cache_folder_is_refused(files, tmp_path):
    """Pipeline(memory=...) would unpickle cached results from that folder on a later fit."""
    meta, arrays = read(files["pipeline"])
    meta["pipeline"]["preprocessing"]["state"]["memory"] = str(tmp_path)
    write(tmp_path / "m.npz", meta, arrays)
    with pytest.raises(ValueError, match="cache folder"):
        load(tmp_path / "m.npz")


def test_format_1_files_with_skops_preprocessing_are_refused_unread(files, tmp_path):
    """Format 1 kept the preprocessing as skops bytes; whatever they hold is never read."""
    meta, arrays = read(files["pipeline"])
    marker = tmp_path / "marker"
    schema = {
        "__class__": "Pipeline",
        "__module__": "sklearn.pipeline",
        "__loader__": "ObjectNode",
        "content": {
            "verbose": {
                "__class__": "check_output",
                "__module__": "sklearn.utils._testing",
                "__loader__": "ConstructorFromReduceNode",
                "content": ["sh", "-c", f"id > {marker}"],
            }
        },
    }
    skops_bytes = io.BytesIO()
    with zipfile.ZipFile(skops_bytes, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
    meta["format_version"] = 1
    meta["pipeline"] = {"final_step": "clf"}
    arrays = {k: v for k, v in arrays.items() if not k.startswith("preprocessing")}
    arrays["preprocessing"] = np.frombuffer(skops_bytes.getvalue(), dtype=np.uint8)
    write(tmp_path / "m.npz", meta, arrays)
    with pytest.raises(ValueError, match="skops.*no longer loads"):
        load(tmp_path / "m.npz")
    assert not marker.exists()


@pytest.mark.parametrize(
    "step",
    [
        make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
        ),
        make_pipeline(SimpleImputer(add_indicator=True), MinMaxScaler()),
        make_pipeline(RobustScaler(), PolynomialFeatures(2)),
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
    ],
    ids=["onehot", "indicator", "poly", "ordinal"],
)
def test_every_trusted_step_round_trips(iris, tmp_path, step):
    X, y = iris
    X = X.copy()
    if isinstance(step, Pipeline) and isinstance(step[0], SimpleImputer):
        X[::7, 1] = np.nan  # the imputer's statistics are part of what is saved
    if isinstance(step, OrdinalEncoder):
        X = np.round(X)
    pipe = quiet_fit(Pipeline([("pre", step), ("clf", LogisticRegression())]), X, y)
    save(pipe, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded[:-1].transform(X), pipe[:-1].transform(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


def test_text_vectorizer_round_trips(tmp_path):
    texts = ["the cat sat", "a dog ran", "the dog sat", "a cat ran far", "far far away"] * 4
    y = np.arange(20) % 2
    pipe = Pipeline(
        [("tfidf", TfidfVectorizer()), ("dense", DenseFloat()), ("clf", LogisticRegression())]
    )
    with pytest.raises(TypeError, match="DenseFloat"):
        save(quiet_fit(pipe, texts, y), tmp_path / "m.npz")
    vectorizer = TfidfVectorizer().fit(texts)
    X = vectorizer.transform(texts).toarray()
    model = quiet_fit(LogisticRegression(), X, y)
    save(Pipeline([("tfidf", vectorizer), ("clf", model)]), tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded[0].transform(texts).toarray(), X)


class DenseFloat:
    """Not a trusted step: a class of the user's own."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X.toarray()


# ---- memory -------------------------------------------------------------------------------------
def _add_entry(path, name, shape, dtype="<f8", declared=None):
    """Append ``name`` (zeros of ``shape``), streamed and deflated, to the archive at ``path``;
    ``declared`` overrides the size the zip's directory states (a lying entry)."""
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        header = {"descr": dtype, "fortran_order": False, "shape": shape}
        with z.open(f"{name}.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, header)
            left = int(np.prod(shape)) * np.dtype(dtype).itemsize if declared is None else 0
            chunk = bytes(16 * MB)
            while left > 0:
                f.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
        if declared is not None:
            z.infolist()[-1].file_size = declared


def peak_of(function):
    tracemalloc.start()
    try:
        function()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_an_unused_gigabyte_entry_is_refused_without_decompressing_it(files, tmp_path):
    bomb = tmp_path / "bomb.npz"
    bomb.write_bytes(files["binary"].read_bytes())
    _add_entry(bomb, "padding", (10_000, 12_500))  # 1 GB of zeros, about 4 MB on disk
    assert bomb.stat().st_size < 10 * MB

    def attempt():
        with pytest.raises(ValueError, match="entries nothing refers to.*padding"):
            load(bomb)

    assert peak_of(attempt) < 20 * MB


def test_a_declared_terabyte_is_refused_from_its_header(files, tmp_path):
    meta, arrays = read(files["binary"])
    del arrays["coefs_.0"]
    lying = tmp_path / "lying.npz"
    write(lying, meta, arrays)
    shape = (10**6, 10**6)
    _add_entry(lying, "coefs_.0", shape, "<f4", declared=128 + 4 * 10**12)

    def attempt():
        with pytest.raises(ValueError, match="layer 1 weights have the wrong shape"):
            load(lying)

    assert peak_of(attempt) < 20 * MB
    # and when the architecture claims that size too, the size limit refuses it
    meta["estimator"]["params"]["hidden_layer_sizes"] = {"tuple": [10**6]}
    meta["estimator"]["attributes"]["n_features_in_"] = {"value": 10**6}
    del arrays["coefs_.1"], arrays["intercepts_.0"]
    write(lying, meta, arrays)
    _add_entry(lying, "coefs_.0", shape, "<f4", declared=128 + 4 * 10**12)
    _add_entry(lying, "coefs_.1", (10**6, 1), "<f4")
    _add_entry(lying, "intercepts_.0", (10**6,), "<f4")

    def attempt_big():
        with pytest.raises(ValueError, match="GiB, over the limit"):
            load(lying)

    assert peak_of(attempt_big) < 20 * MB


def test_a_used_entry_over_max_bytes_is_refused(files):
    with pytest.raises(ValueError, match="over the limit"):
        load(files["multiclass"], max_bytes=100)
    assert load(files["multiclass"], max_bytes=10**6) is not None


def test_deep_or_huge_metadata_is_refused(files, tmp_path):
    meta, arrays = read(files["binary"])
    write(tmp_path / "deep.npz", meta, arrays, text="[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="nests deeper"):
        load(tmp_path / "deep.npz")
    meta["info"] = {"padding": "x" * (17 * MB)}
    write(tmp_path / "big.npz", meta, arrays)
    with pytest.raises(ValueError, match="implausibly large"):
        load(tmp_path / "big.npz")


def test_a_checkpoint_with_an_unused_entry_is_refused(tmp_path, iris):
    X, y = iris
    model = MLPClassifier((4,), max_iter=2, random_state=0)
    quiet_fit(model, X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y, checkpoint=tmp_path / "c.npz", checkpoint_every=1)
    _add_entry(tmp_path / "c.npz", "padding", (1000, 1000))
    with pytest.raises(ValueError, match="entries nothing refers to"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            MLPClassifier((4,), max_iter=3, random_state=0).fit(X, y, resume=tmp_path / "c.npz")


# ---- contradicting fields -----------------------------------------------------------------------
def edit_attr(name, value):
    return lambda meta, arrays: meta["estimator"]["attributes"].update({name: value})


def set_array(name, array):
    return lambda meta, arrays: arrays.update({name: array})


CONTRADICTIONS = {
    "identity head on a classifier": (
        "binary",
        edit_attr("out_activation_", {"value": "identity"}),
    ),
    "softmax with one output": ("binary", edit_attr("out_activation_", {"value": "softmax"})),
    "n_outputs_ 5": ("binary", edit_attr("n_outputs_", {"value": 5})),
    "three classes on a binary model": ("binary", set_array("classes_", np.array([0, 1, 2]))),
    "repeated classes": ("binary", set_array("classes_", np.array(["b", "b"]))),
    "unsorted classes": ("binary", set_array("classes_", np.array([1, 0]))),
    "hidden sizes disagree": (
        "binary",
        lambda m, a: m["estimator"]["params"].update({"hidden_layer_sizes": {"tuple": [5]}}),
    ),
    "n_layers_ wrong": ("binary", edit_attr("n_layers_", {"value": 7})),
    "0-d classes_": ("binary", set_array("classes_", np.array(3))),
    "text weights": ("logreg", set_array("coef_", np.full((3, 4), "w"))),
    "integer weights": ("logreg", set_array("coef_", np.zeros((3, 4), np.int64))),
    "bool weights": ("logreg", set_array("coef_", np.zeros((3, 4), bool))),
    "params as a list": ("binary", lambda m, a: m["estimator"].update({"params": [1, 2]})),
    "attributes as a list": ("binary", lambda m, a: m["estimator"].update({"attributes": [1]})),
    "estimator as text": ("binary", lambda m, a: m.update({"estimator": "MLPClassifier"})),
    "logreg coef_ for 2 classes": ("logreg", set_array("coef_", np.zeros((2, 4)))),
    "feature names of another length": ("logreg", set_array("feature_names_in_", np.array(["a"]))),
    "missing weights": ("logreg", lambda m, a: m["estimator"]["attributes"].pop("coef_")),
}


@pytest.mark.parametrize("case", CONTRADICTIONS)
def test_contradicting_fields_are_refused(files, tmp_path, case):
    which, edit = CONTRADICTIONS[case]
    meta, arrays = read(files[which])
    edit(meta, arrays)
    write(tmp_path / "m.npz", meta, arrays)
    with pytest.raises(ValueError) as error:
        load(tmp_path / "m.npz")
    assert str(tmp_path / "m.npz") in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("dtype", ["complex128", "datetime64[s]", "timedelta64[s]", "V8"])
def test_exotic_dtypes_are_refused_before_reading(files, tmp_path, dtype):
    meta, arrays = read(files["logreg"])
    arrays["coef_"] = np.zeros((3, 4), dtype=dtype)
    write(tmp_path / "m.npz", meta, arrays)
    with pytest.raises(ValueError, match="numbers and text"):
        load(tmp_path / "m.npz")


def test_special_paths_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not a regular file"):
        load("/dev/zero")
    with pytest.raises(ValueError, match="not a regular file"):
        load(tmp_path)


def test_valid_files_still_load(files, iris):
    X, _ = iris
    for name in ("binary", "multiclass", "logreg"):
        assert load(files[name]).predict(X).shape == (X.shape[0],)


# ---- the same files through the command line ----------------------------------------------------
@pytest.fixture(scope="module")
def cli_run(tmp_path_factory, iris):
    from vectorlearn.cli import main

    X, y = iris
    folder = tmp_path_factory.mktemp("cli")
    import pandas as pd

    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(kind=np.array(["x", "y"])[y % 2])
    frame.to_csv(folder / "data.csv", index=False)
    assert (
        main(
            [
                "train",
                str(folder / "data.csv"),
                "--target",
                "kind",
                "--out",
                str(folder / "run"),
                "--quiet",
            ]
        )
        == 0
    )
    return folder


@pytest.mark.parametrize("command", ["predict", "summary", "evaluate"])
def test_the_cli_refuses_a_gadget_model_in_one_line(cli_run, tmp_path, capsys, command):
    from vectorlearn.cli import main

    meta, arrays = read(cli_run / "run" / "model.npz")
    marker = tmp_path / "marker"
    meta["pipeline"]["preprocessing"]["state"]["verbose"] = {
        "estimator": "sklearn.utils._testing.check_output",
        "state": {"args": {"list": ["sh", "-c", f"id > {marker}"]}},
    }
    write(tmp_path / "model.npz", meta, arrays)
    data = [str(cli_run / "data.csv")] if command != "summary" else []
    capsys.readouterr()
    assert main([command, str(tmp_path / "model.npz"), *data]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a step vectorlearn trusts" in err
    assert not marker.exists()


def test_the_cli_refuses_a_memory_bomb_in_one_line(cli_run, tmp_path, capsys):
    from vectorlearn.cli import main

    bomb = tmp_path / "model.npz"
    bomb.write_bytes((cli_run / "run" / "model.npz").read_bytes())
    _add_entry(bomb, "padding", (5_000, 12_500))
    capsys.readouterr()
    assert main(["predict", str(bomb), str(cli_run / "data.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "entries nothing refers to" in err


# ---- text vectorizers: patterns, n-grams, workers, fitted state --------------------------------
WORDS = (
    "great awful clean dirty quiet noisy rude friendly cheap pricey view pool room staff".split()
)


def text_frame(n=40, seed=0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    reviews = [" ".join(rng.choice(WORDS[k % 2 :: 2] + WORDS[8:], 12)) for k in y]
    return pd.DataFrame({"review": reviews, "x": rng.normal(size=n)}), y


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    """A saved pipeline with a TF-IDF text column inside a ColumnTransformer, as the CLI saves."""
    X, y = text_frame()
    pre = ColumnTransformer(
        [("text", TfidfVectorizer(min_df=2), "review"), ("num", StandardScaler(), ["x"])],
        sparse_threshold=0,
    )
    path = tmp_path_factory.mktemp("text") / "m.npz"
    save(quiet_fit(Pipeline([("pre", pre), ("clf", LogisticRegression())]), X, y), path)
    return path


def find_states(node, suffix, out=None):
    """The state dicts of every step in ``node`` whose class name ends with ``suffix``."""
    out = [] if out is None else out
    if isinstance(node, dict):
        if str(node.get("estimator", "")).endswith(suffix):
            out.append(node["state"])
        for value in node.values():
            find_states(value, suffix, out)
    elif isinstance(node, list):
        for value in node:
            find_states(value, suffix, out)
    return out


def fitted_vectorizer(meta):
    """The fitted TfidfVectorizer's state (the ColumnTransformer's template is unfitted)."""
    (state,) = [s for s in find_states(meta, "TfidfVectorizer") if "vocabulary_" in s]
    return state


def on_vectorizers(**values):
    """Set ``values`` on every TfidfVectorizer, the unfitted template and the fitted one."""
    return lambda meta, arrays: [s.update(values) for s in find_states(meta, "TfidfVectorizer")]


def on_vocabulary(edit):
    def apply(meta, arrays):
        pairs = fitted_vectorizer(meta)["vocabulary_"]["dict"]
        edit(pairs)

    return apply


def on_idf(edit):
    def apply(meta, arrays):
        key = fitted_vectorizer(meta)["_tfidf"]["state"]["idf_"]["array"]
        arrays[key] = edit(arrays[key])

    return apply


def replace_tfidf(node):
    def apply(meta, arrays):
        state = fitted_vectorizer(meta)
        del arrays[state["_tfidf"]["state"]["idf_"]["array"]]  # else: an unused entry
        if node is None:
            del state["_tfidf"]
        else:  # with as many features as words: only the slot's class is wrong
            n = len(state["vocabulary_"]["dict"])
            state["_tfidf"] = {**node, "state": {**node["state"], "n_features_in_": n}}

    return apply


def set_item(pairs, index, value):
    pairs[index][1] = value


IDENTITY = {
    "estimator": "sklearn.preprocessing.FunctionTransformer",
    "state": {
        **dict.fromkeys(["func", "inverse_func", "feature_names_out", "kw_args", "inv_kw_args"]),
        "validate": False,
        "accept_sparse": True,
        "check_inverse": False,
    },
}
TEXT_ATTACKS = {
    # a pattern that backtracks exponentially on a long run of characters without a "!"
    "redos": (on_vectorizers(token_pattern="(?:.|.)*!"), "token_pattern.*exponential time"),
    "word n-grams up to 10**9": (
        on_vectorizers(ngram_range={"tuple": [1, 10**9]}),
        "ngram_range.*exhaust memory",
    ),
    "char n-grams up to 10**6": (
        on_vectorizers(analyzer="char", ngram_range={"tuple": [1, 10**6]}),
        "ngram_range.*exhaust memory",
    ),
    "reversed n-grams": (on_vectorizers(ngram_range={"tuple": [5, 1]}), "ngram_range"),
    "object dtype": (on_vectorizers(dtype={"dtype": "object"}), "dtype object"),
    "ColumnTransformer n_jobs": (
        lambda m, a: find_states(m, "ColumnTransformer")[0].update(n_jobs=6),
        "n_jobs is 6.*worker processes",
    ),
    "n_jobs on a scaler": (
        lambda m, a: find_states(m, "StandardScaler")[0].update(n_jobs=-1),
        "StandardScaler's n_jobs is -1",
    ),
    "vocabulary index 10**6": (
        on_vocabulary(lambda p: set_item(p, 0, {"scalar": ["int64", 10**6]})),
        "vocabulary_ must number",
    ),
    "negative index": (on_vocabulary(lambda p: set_item(p, 0, -1)), "vocabulary_ must number"),
    "float index": (on_vocabulary(lambda p: set_item(p, 0, 1.5)), "vocabulary_ must map each"),
    "duplicate index": (
        on_vocabulary(lambda p: set_item(p, 0, p[1][1])),
        "vocabulary_ must number",
    ),
    "vocabulary as a list": (
        lambda m, a: fitted_vectorizer(m).update(vocabulary_={"list": [0, 1]}),
        "vocabulary_ must be a non-empty dict",
    ),
    "2-D idf": (on_idf(lambda idf: idf.reshape(1, -1)), "idf_ must be a 1-D float array"),
    "idf longer than the vocabulary": (
        on_idf(lambda idf: np.append(idf, 1.0)),
        "idf_ must be a 1-D float array",
    ),
    "NaN idf": (on_idf(lambda idf: np.full_like(idf, np.nan)), "idf_ must be finite"),
    "deleted _tfidf": (replace_tfidf(None), "_tfidf must be a fitted TfidfTransformer"),
    "FunctionTransformer as _tfidf": (
        replace_tfidf(IDENTITY),
        "_tfidf must be a fitted TfidfTransformer",
    ),
    "overridden _parameter_constraints": (
        on_vectorizers(_parameter_constraints={"dict": []}, analyzer="exec"),
        r"attributes \['_parameter_constraints'\] would replace",
    ),
    "a method replaced": (on_vectorizers(transform=None), r"attributes \['transform'\]"),
}


@pytest.mark.parametrize("case", TEXT_ATTACKS)
def test_crafted_text_preprocessing_is_refused_at_load(text_file, tmp_path, case, monkeypatch):
    """Refused by ``load`` itself, in one line naming the file: no text is ever analysed."""
    from sklearn.feature_extraction.text import CountVectorizer

    def no_text(self):
        raise AssertionError("a refused vectorizer analysed text")

    monkeypatch.setattr(CountVectorizer, "build_analyzer", no_text)
    edit, message = TEXT_ATTACKS[case]
    meta, arrays = read(text_file)
    edit(meta, arrays)
    write(tmp_path / "m.npz", meta, arrays)
    with pytest.raises(ValueError, match=message) as error:
        load(tmp_path / "m.npz")
    assert str(tmp_path / "m.npz") in str(error.value) and "\n" not in str(error.value)


def test_the_text_file_itself_loads_and_predicts(text_file):
    X, y = text_frame(seed=1)
    assert load(text_file).predict(X).shape == y.shape


@pytest.mark.parametrize(
    "vectorizer, message",
    [
        (TfidfVectorizer(token_pattern=r"\w+"), "token_pattern.*exponential time"),
        (TfidfVectorizer(ngram_range=(1, 9)), "ngram_range.*max_n <= 8"),
        (TfidfVectorizer(analyzer="char", ngram_range=(2, 12)), "ngram_range"),
    ],
    ids=["pattern", "word n-grams", "char n-grams"],
)
def test_saving_refuses_what_loading_would(tmp_path, vectorizer, message):
    X, y = text_frame()
    pipe = quiet_fit(Pipeline([("pre", vectorizer), ("clf", LogisticRegression())]), X.review, y)
    with pytest.raises(ValueError, match=message) as error:
        save(pipe, tmp_path / "m.npz")
    assert "\n" not in str(error.value) and not (tmp_path / "m.npz").exists()


def test_bounded_vectorizers_and_n_jobs_round_trip(tmp_path):
    """n-grams up to 8, a char analyzer, and n_jobs=4, saved as None: one process at load."""
    X, y = text_frame()
    pre = ColumnTransformer(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 8)), "review"),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)), "review"),
            ("num", StandardScaler(), ["x"]),
        ],
        sparse_threshold=0,
        n_jobs=4,
    )
    pipe = quiet_fit(Pipeline([("pre", pre), ("clf", LogisticRegression())]), X, y)
    save(pipe, tmp_path / "m.npz")
    assert pipe[0].n_jobs == 4  # saving changes nothing in the user's pipeline
    loaded = load(tmp_path / "m.npz")
    assert loaded[0].n_jobs is None
    np.testing.assert_array_equal(loaded[0].transform(X), pipe[0].transform(X))


@pytest.fixture(scope="module")
def cli_text_run(tmp_path_factory):
    from vectorlearn.cli import main

    folder = tmp_path_factory.mktemp("cli_text")
    X, y = text_frame()
    X.assign(label=np.array(["neg", "pos"])[y]).to_csv(folder / "data.csv", index=False)
    args = ["train", str(folder / "data.csv"), "--target", "label", "--text", "review"]
    assert main([*args, "--out", str(folder / "run"), "--quiet"]) == 0
    return folder


CLI_TEXT_ATTACKS = [
    "redos",
    "word n-grams up to 10**9",
    "char n-grams up to 10**6",
    "ColumnTransformer n_jobs",
    "vocabulary index 10**6",
    "2-D idf",
    "FunctionTransformer as _tfidf",
    "overridden _parameter_constraints",
]


@pytest.mark.parametrize("case", CLI_TEXT_ATTACKS)
def test_the_cli_refuses_crafted_text_preprocessing_in_one_line(
    cli_text_run, tmp_path, capsys, monkeypatch, case
):
    from sklearn.feature_extraction.text import CountVectorizer

    from vectorlearn.cli import main

    def no_text(self):
        raise AssertionError("a refused vectorizer analysed text")

    edit, message = TEXT_ATTACKS[case]
    meta, arrays = read(cli_text_run / "run" / "model.npz")
    assert len(find_states(meta, "TfidfVectorizer")) == 2  # the template and the fitted one
    edit(meta, arrays)
    write(tmp_path / "model.npz", meta, arrays)
    monkeypatch.setattr(CountVectorizer, "build_analyzer", no_text)
    capsys.readouterr()
    assert main(["predict", str(tmp_path / "model.npz"), str(cli_text_run / "data.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err), err
