"""Bounds on the saved text vectorizers and worker counts, checked when saving and loading.

scikit-learn's parameter constraints accept any regular expression as ``token_pattern``, any
``ngram_range`` and any ``n_jobs``, and it trusts a fitted vectorizer's state, so a crafted model
file could make prediction hang (a pattern that backtracks exponentially), exhaust memory (every
n-gram up to a billion words), start worker processes, or fail deep inside ``transform``. These
checks refuse such files with one ``ValueError`` before any text is processed.
"""

from __future__ import annotations

import numbers

import numpy as np

# scikit-learn's default, the only pattern a saved vectorizer may use: a pattern taken from a file
# could backtrack exponentially on crafted text.
DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# The longest n-grams a saved vectorizer may count. Each document yields about
# len(text) * max_n n-grams, each up to max_n tokens or characters long, so an unbounded max_n
# takes memory quadratic in the text; 8 is above what word or character models use in practice.
MAX_NGRAM = 8


def _integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_params(vectorizer, failure: str) -> None:
    """``vectorizer``'s ``token_pattern`` and ``ngram_range`` are within the bounds above;
    ``ValueError`` starting with ``failure`` otherwise."""
    kind = type(vectorizer).__name__
    pattern = getattr(vectorizer, "token_pattern", None)
    ignored = getattr(vectorizer, "analyzer", "word") != "word"
    if pattern != DEFAULT_TOKEN_PATTERN and not (pattern is None and ignored):
        raise ValueError(
            f"{failure}: the {kind}'s token_pattern {str(pattern)[:60]!r} is not scikit-learn's "
            "default; vectorlearn stores only the default, because a regular expression can "
            "take exponential time on crafted text. Fit the vectorizer with the default "
            f"token_pattern={DEFAULT_TOKEN_PATTERN!r}"
        )
    try:
        dtype = np.dtype(getattr(vectorizer, "dtype", None))
    except TypeError:
        dtype = np.dtype(object)
    if dtype.kind not in "biuf":
        raise ValueError(
            f"{failure}: the {kind}'s dtype {str(dtype)[:20]} is not a NumPy number type; "
            "fit the vectorizer with dtype=np.float64 (the default) or another number type"
        )
    ngrams = getattr(vectorizer, "ngram_range", None)
    if not (
        isinstance(ngrams, tuple)
        and len(ngrams) == 2
        and all(_integer(n) for n in ngrams)
        and 1 <= ngrams[0] <= ngrams[1] <= MAX_NGRAM
    ):
        raise ValueError(
            f"{failure}: the {kind}'s ngram_range {str(ngrams)[:40]} is not within "
            f"1 <= min_n <= max_n <= {MAX_NGRAM}; longer n-grams can exhaust memory on long text. "
            f"Fit the vectorizer with an ngram_range within (1, {MAX_NGRAM})"
        )


def check_n_jobs(obj, failure: str) -> None:
    """A loaded step transforms in this process: ``n_jobs`` must be None or 1."""
    n_jobs = vars(obj).get("n_jobs")
    if not (n_jobs is None or (_integer(n_jobs) and n_jobs == 1)):
        raise ValueError(
            f"{failure}: the {type(obj).__name__}'s n_jobs is {str(n_jobs)[:20]}; a saved step "
            "may not start worker processes (vectorlearn saves n_jobs=None). Save it again with "
            "this version of vectorlearn"
        )


def check_fitted(obj, failure: str) -> None:
    """A loaded vectorizer's or ``TfidfTransformer``'s fitted state is consistent: the
    vocabulary maps text to exactly the column indices ``0..n-1``, and the idf weights are ``n``
    finite floats. Unfitted ones (a ``ColumnTransformer``'s templates) are left alone."""
    from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

    state = vars(obj)
    kind = type(obj).__name__
    if type(obj) is TfidfTransformer:
        if "idf_" in state or "n_features_in_" in state:
            _check_tfidf(obj, None, f"{failure}: the {kind}'s")
        return
    tfidf = type(obj) is TfidfVectorizer
    if "vocabulary_" not in state and not (tfidf and "_tfidf" in state):
        return
    where = f"{failure}: the {kind}'s"
    vocabulary = state.get("vocabulary_")
    if type(vocabulary) is not dict or not vocabulary:
        raise ValueError(f"{where} vocabulary_ must be a non-empty dict of words to columns")
    if not all(type(word) is str for word in vocabulary):
        raise ValueError(f"{where} vocabulary_ must map text (its words) to columns")
    columns = list(vocabulary.values())
    if not all(_integer(c) for c in columns):
        raise ValueError(f"{where} vocabulary_ must map each word to an integer column")
    n = len(columns)
    if sorted(int(c) for c in columns) != list(range(n)):
        raise ValueError(
            f"{where} vocabulary_ must number its {n} words' columns 0 to {n - 1}, each once"
        )
    if type(state.get("fixed_vocabulary_")) is not bool:
        raise ValueError(f"{where} fixed_vocabulary_ must be True or False")
    if tfidf:
        if type(state.get("_tfidf")) is not TfidfTransformer:
            raise ValueError(f"{where} _tfidf must be a fitted TfidfTransformer")
        _check_tfidf(state["_tfidf"], n, f"{where} _tfidf")


def _check_tfidf(transformer, n, where: str) -> None:
    state = vars(transformer)
    n_in = state.get("n_features_in_")
    if not (_integer(n_in) and n_in >= 1 and (n is None or n_in == n)):
        expected = "the number of words in vocabulary_" if n is not None else "a positive count"
        raise ValueError(f"{where} n_features_in_ must be {expected}")
    idf = state.get("idf_")
    if idf is None:
        if transformer.use_idf:
            raise ValueError(f"{where} idf_ is missing (use_idf=True)")
        return
    if not (isinstance(idf, np.ndarray) and idf.dtype.kind == "f" and idf.shape == (n_in,)):
        raise ValueError(f"{where} idf_ must be a 1-D float array of {n_in} weights")
    if not np.isfinite(idf).all():
        raise ValueError(f"{where} idf_ must be finite")
