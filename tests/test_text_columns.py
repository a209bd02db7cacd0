"""Free-text columns as TF-IDF features (issue #14, item 4): prose is found by its words per
value, ``--text`` forces a column, one ``TfidfVectorizer`` per column sits inside the saved
``ColumnTransformer``, and its sparse output reaches the network without being densified.

The commands run in this process (``vectorlearn.cli.main``), as in ``test_cli_hardening``.
"""

import io
import json
import os
import re
import zipfile

import cli_helpers  # tests/ is on the path
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from cli_helpers import run

import vectorlearn
from vectorlearn import _sklearn_state
from vectorlearn._columns import PROSE_MIN_WORDS, is_prose, words_per_value
from vectorlearn.cli import _fit, _plain_model, _train
from vectorlearn.tabular import ColumnRoles, feature_frame, infer_roles, read_table

GOOD = "quick friendly helpful staff smiled warm tasty fresh clean bright calm lovely".split()
BAD = "late broken damaged rude cold stale dirty noisy slow angry refund missing".split()
FILLER = "the a of to in on for with this that it our we they was very really and".split()
# Real names from the Titanic passenger list: 4 to 5 words each on average, 8 at most.
TITANIC_NAMES = [
    "Braund, Mr. Owen Harris",
    "Cumings, Mrs. John Bradley (Florence Briggs Thayer)",
    "Heikkinen, Miss. Laina",
    "Futrelle, Mrs. Jacques Heath (Lily May Peel)",
    "Allen, Mr. William Henry",
    "Moran, Mr. James",
    "McCarthy, Mr. Timothy J",
    "Palsson, Master. Gosta Leonard",
    "Johnson, Mrs. Oscar W (Elisabeth Vilhelmina Berg)",
    "Nasser, Mrs. Nicholas (Adele Achem)",
    "Sandstrom, Miss. Marguerite Rut",
    "Bonnell, Miss. Elizabeth",
    "Saundercock, Mr. William Henry",
    "Andersson, Mr. Anders Johan",
    "Vestrom, Miss. Hulda Amanda Adolfina",
    "Hewlett, Mrs. (Mary D Kingcome)",
    "Rice, Master. Eugene",
    "Williams, Mr. Charles Eugene",
    "Vander Planke, Mrs. Julius (Emelia Maria Vandemoortele)",
    "Masselmani, Mrs. Fatima",
    "Fynney, Mr. Joseph J",
    "Beesley, Mr. Lawrence",
    'McGowan, Miss. Anna "Annie"',
    "Sloper, Mr. William Thompson",
    "Palsson, Miss. Torborg Danira",
    "Asplund, Mrs. Carl Oscar (Selma Augusta Emilia Johansson)",
    "Emir, Mr. Farred Chehab",
    "Fortune, Mr. Charles Alexander",
    'O\'Dwyer, Miss. Ellen "Nellie"',
    "Todoroff, Mr. Lalio",
    "Uruchurtu, Don. Manuel E",
    "Spencer, Mrs. William Augustus (Marie Eugenie)",
    "Glynn, Miss. Mary Agatha",
    "Wheadon, Mr. Edward H",
    "Meyer, Mr. Edgar Joseph",
    "Holverson, Mr. Alexander Oskar",
    "Mamee, Mr. Hanna",
    "Cann, Mr. Ernest Charles",
    "Vander Planke, Miss. Augusta Maria",
    "Nicola-Yarred, Miss. Jamila",
]


def reviews(m=200, seed=0, gaps=0.0) -> pd.DataFrame:
    """Two classes whose sentences draw on different words (and shared filler), a numeric
    column that says nothing, rows shuffled; a share ``gaps`` of the reviews is missing."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(m):
        label = ("good", "bad")[i % 2]
        words = [*rng.choice(GOOD if label == "good" else BAD, 3), *rng.choice(FILLER, 7)]
        if rng.random() < 0.2:  # a word of the other class, so it is not a lookup table
            words.append(rng.choice(BAD if label == "good" else GOOD))
        rng.shuffle(words)
        rows.append({"review": " ".join(words), "stars": rng.normal(), "label": label})
    frame = pd.DataFrame(rows).sample(frac=1, random_state=seed).reset_index(drop=True)
    frame.loc[rng.random(m) < gaps, "review"] = np.nan
    return frame


def succeeded(result):
    code, out, err = result
    assert code == 0, err
    assert "Traceback" not in err
    return out, err


def refused(result, *fragments):
    """The usual one-line refusal (exit 2), with nothing on stdout."""
    cli_helpers.refused(result, *fragments)
    assert result[1] == ""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``vectorlearn train reviews.csv --target label``: no other option."""
    folder = tmp_path_factory.mktemp("text")
    reviews().to_csv(folder / "reviews.csv", index=False)
    here = os.getcwd()
    os.chdir(folder)  # train writes runs/<timestamp> into the working folder
    try:
        out, err = succeeded(run("train", "reviews.csv", "--target", "label"))
    finally:
        os.chdir(here)
    run_folder = folder / re.search(r"^run folder: (.+)$", out, re.MULTILINE).group(1)
    return folder, run_folder, out, err


def test_a_prose_column_is_text_and_trains_with_only_the_target(trained):
    folder, run_folder, out, err = trained
    assert "'review' is text (" in err and "words per value on average" in err
    terms = re.search(r"text: review \((\d+) terms in the training rows\)", err)
    assert terms and 20 <= int(terms.group(1)) <= len(GOOD + BAD + FILLER)
    metrics = json.loads((run_folder / "metrics.json").read_text())
    assert metrics["roles"]["text"] == ["review"] and metrics["roles"]["numeric"] == ["stars"]
    majority = 0.5  # the two classes are balanced
    assert metrics["validation"]["accuracy"] >= majority + 0.3, metrics["validation"]
    info = vectorlearn.load_info(run_folder / "model.npz")
    assert info["roles"]["text"] == ["review"]
    summary, _ = succeeded(run("summary", run_folder))
    assert "text columns: review\n" in summary


def test_predict_reads_a_new_file_with_unseen_words_and_gaps(trained, tmp_path):
    folder, run_folder, _, _ = trained
    new = reviews(40, seed=1).drop(columns="label")
    new.loc[0, "review"] = "zebra quantum xylophone"  # no word the model knows
    new.loc[1, "review"] = np.nan
    new.to_csv(tmp_path / "new.csv", index=False)
    out, _ = succeeded(run("predict", run_folder, tmp_path / "new.csv", "--proba"))
    assert _plain_model.read(run_folder / "model.npz") is None  # TF-IDF: scikit-learn applies it
    predicted = pd.read_csv(io.StringIO(out))
    model = vectorlearn.load(run_folder / "model.npz")
    roles = ColumnRoles.from_dict(vectorlearn.load_info(run_folder / "model.npz")["roles"])
    X = feature_frame(read_table(tmp_path / "new.csv"), roles)
    assert list(predicted["label"]) == list(model.predict(X))
    np.testing.assert_allclose(predicted["proba_good"], model.predict_proba(X)[:, 1], rtol=1e-12)
    truth = reviews(40, seed=1)["label"].iloc[2:]
    assert (predicted["label"].iloc[2:] == truth).mean() > 0.8


def test_predict_without_the_text_column_names_it(trained, tmp_path):
    _, run_folder, _, _ = trained
    reviews(10).drop(columns=["label", "review"]).to_csv(tmp_path / "new.csv", index=False)
    refused(run("predict", run_folder, tmp_path / "new.csv"), "lacks column(s)", "review")


def test_the_model_file_holds_no_pickle_and_loads_through_the_trusted_list(trained, tmp_path):
    _, run_folder, _, _ = trained
    path = run_folder / "model.npz"
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            assert b"'descr': '|O'" not in archive.read(name)[:128], name  # no object arrays
    with np.load(path, allow_pickle=False) as data:
        metadata = str(data["__metadata__"])
    assert '"sklearn.feature_extraction.text.TfidfVectorizer"' in metadata
    vectorizer = vectorlearn.load(path)[0].named_transformers_["text0"]
    assert vectorizer.sublinear_tf and vectorizer.min_df == 2 and vectorizer.input == "content"
    assert "sklearn.feature_extraction.text.TfidfVectorizer" in _sklearn_state.TRUSTED
    # the same file naming a class off the list is refused: the list is what loading goes by
    tampered = tamper(path, tmp_path, "text.TfidfVectorizer", "text.HashingVectorizer")
    with pytest.raises(ValueError, match="HashingVectorizer.*not a step vectorlearn trusts"):
        vectorlearn.load(tampered)


def tamper(path, folder, old, new):
    """A copy of model file ``path`` in ``folder`` whose metadata says ``new`` for ``old``
    (the ColumnTransformer's steps as given and as fitted)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    text = str(arrays.pop("__metadata__"))
    assert text.count(old) >= 1
    arrays["__metadata__"] = np.array(text.replace(old, new))
    with open(folder / "model.npz", "wb") as f:
        np.savez(f, **arrays)
    return folder / "model.npz"


def test_a_vectorizer_that_would_open_files_is_refused(trained, tmp_path):
    _, run_folder, _, _ = trained
    path = tamper(run_folder / "model.npz", tmp_path, '"input": "content"', '"input": "file"')
    reviews(5).to_csv(tmp_path / "new.csv", index=False)
    refused(run("predict", path, tmp_path / "new.csv"), "input='content'")


def test_training_hands_the_network_a_sparse_matrix(tmp_path, monkeypatch):
    seen = []

    def recording(original):
        def fit(model, X, *args, **kwargs):
            seen.append(X)
            return original(model, X, *args, **kwargs)

        return fit

    monkeypatch.setattr(_train, "fit", recording(_train.fit))  # the held-out fit
    monkeypatch.setattr(_fit, "fit", recording(_fit.fit))  # the refit on all rows
    reviews(120).to_csv(tmp_path / "reviews.csv", index=False)
    out = tmp_path / "run"
    succeeded(run("train", tmp_path / "reviews.csv", "--target", "label", "--out", out, "--quiet"))
    assert len(seen) == 2 and all(sp.issparse(X) and X.format == "csr" for X in seen)
    assert seen[0].shape[1] > 20 and seen[0].nnz < 0.5 * np.prod(seen[0].shape)


def test_text_forces_a_short_column_and_drop_overrides_detection(tmp_path):
    frame = reviews(120)
    frame["colour"] = np.random.default_rng(2).choice(["dark red", "light blue", "green"], 120)
    inferred = infer_roles(frame, "label")
    assert inferred.text == ["review"] and inferred.categorical == ["colour"]
    forced = infer_roles(frame, "label", text=["colour"])
    assert forced.text == ["review", "colour"]
    assert "'colour' is text: asked to (--text); TF-IDF of its words" in forced.notes
    dropped = infer_roles(frame, "label", drop=["review"])
    assert dropped.text == [] and "review" in dropped.dropped
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "run"
    args = ("train", tmp_path / "t.csv", "--target", "label", "--out", out, "--json", "--quiet")
    result = json.loads(succeeded(run(*args, "--text", "colour", "--drop", "review"))[0])
    assert result["roles"]["text"] == ["colour"] and result["roles"]["categorical"] == []
    assert "review" in result["roles"]["dropped"]


def test_titanic_names_are_not_prose():
    names = pd.Series(TITANIC_NAMES, name="Name")
    mean, _ = words_per_value(names)
    assert 4 <= mean < PROSE_MIN_WORDS and not is_prose(names)
    ages = np.linspace(0.5, 70, 40) % 23
    frame = pd.DataFrame({"Name": names, "Age": ages, "Survived": [0, 1] * 20})
    roles = infer_roles(frame, "Survived")
    assert roles.dropped == ["Name"] and roles.text == []
    assert any(note.startswith("dropped 'Name': free text") for note in roles.notes)


def test_templated_notes_with_few_distinct_words_are_not_prose():
    notes = pd.Series([f"seen on day {i} by dr {i % 97} at {i % 13}" for i in range(200)])
    assert not is_prose(notes)  # 6 words per value, but only 6 distinct words
    assert is_prose(reviews()["review"]) and not is_prose(pd.Series(np.arange(200.0)))


def test_missing_text_values_become_empty_text(tmp_path):
    frame = reviews(160, gaps=0.15)
    assert frame["review"].isna().sum() > 10
    roles = infer_roles(frame, "label")
    assert roles.text == ["review"]
    X = feature_frame(frame, roles)
    assert X["review"].isna().sum() == 0 and (X["review"] == "").sum() > 10
    frame.to_csv(tmp_path / "gaps.csv", index=False)
    out = tmp_path / "run"
    args = ("train", tmp_path / "gaps.csv", "--target", "label", "--out", out, "--json")
    result = json.loads(succeeded(run(*args, "--quiet"))[0])
    assert result["validation"]["accuracy"] > 0.7


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--text", "nothere"], ["--text names columns that do not exist: nothere"]),
        (["--text", "label"], ["--text label", "is the target"]),
        (["--text", "stars", "--numeric", "stars"], ["--text and --numeric both name stars"]),
        (["--id", "review", "--text", "review"], ["--id review", "--text"]),
        (["--text", "review", "--drop", "review"], ["--text and --drop both name review"]),
    ],
)
def test_bad_text_options_get_one_line(tmp_path, options, fragments):
    reviews(40).to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "run"
    args = ("train", tmp_path / "r.csv", "--target", "label", "--out", out)
    refused(run(*args, *options), *fragments)
    assert not out.exists()


def test_a_text_column_without_words_gets_one_line(tmp_path):
    frame = reviews(40)
    frame["code"] = [f"x{i}" for i in range(40)]  # no word in two rows
    frame.to_csv(tmp_path / "r.csv", index=False)
    args = ("train", tmp_path / "r.csv", "--target", "label", "--out", tmp_path / "run")
    result = run(*args, "--text", "code", "--quiet")
    refused(result, "text column 'code' has no word", "--drop code")


def test_a_run_made_before_text_columns_resumes_with_prose_dropped_as_free_text(tmp_path):
    """A run.json without "text" comes from a vectorlearn that dropped prose as free text: its
    checkpoint's first layer has no inputs for the words, so resuming must not read them."""
    reviews(120).to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "run"
    # what the old version trained: no --drop, but 'review' left out as free text
    args = ("train", tmp_path / "r.csv", "--target", "label", "--out", out, "--quiet")
    succeeded(run(*args, "--drop", "review", "--epochs", "6", "--checkpoint-every", "1"))
    run_file = out / "run.json"
    stored = json.loads(run_file.read_text())
    del stored["options"]["text"]
    stored["options"]["drop"] = []
    run_file.write_text(json.dumps(stored))
    (out / "model.npz").unlink()  # stopped before its end: a checkpoint, no model yet
    _, err = succeeded(run("train", "--resume", out, "--json"))
    assert "dropped 'review': free text" in err and "is text (" not in err
    info = vectorlearn.load_info(out / "model.npz")
    assert info["roles"]["text"] == [] and "review" in info["roles"]["dropped"]
    assert "text" not in json.loads(run_file.read_text())["options"]  # it stays an old run
    succeeded(run("train", "--resume", out, "--quiet"))  # and resumes so again
    # a run made now detects the prose, and resumes with it
    new = tmp_path / "new"
    succeeded(run("train", tmp_path / "r.csv", "--target", "label", "--out", new, "--quiet",
                  "--epochs", "4", "--checkpoint-every", "1"))  # fmt: skip
    _, err = succeeded(run("train", "--resume", new))
    assert "'review' is text (" in err
    assert vectorlearn.load_info(new / "model.npz")["roles"]["text"] == ["review"]


def test_drop_and_text_on_one_column_are_refused():
    with pytest.raises(ValueError, match="--text and --drop both name review"):
        infer_roles(reviews(40), "label", text=["review"], drop=["review"])
    roles = infer_roles(reviews(40), "label", detect_text=False)
    assert roles.text == [] and roles.dropped == ["review"]
