"""The scikit-learn preprocessing of a table's columns, by their roles (see ``tabular``): a
``ColumnTransformer`` that imputes and standardizes the numeric columns, imputes and one-hot
encodes the categorical ones, and turns each text column into TF-IDF features.

It lives apart from ``tabular`` so that reading a table and its roles imports no scikit-learn:
``vectorlearn predict`` applies a saved preprocessing without it (``cli._plain_model``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ._columns import MIN_ROWS_FOR_RATIOS, TFIDF
from .tabular import ColumnRoles


def make_preprocessor(roles: ColumnRoles, n_rows: int | None = None) -> ColumnTransformer:
    """The ``ColumnTransformer`` for ``roles``: numbers imputed and scaled, categories one-hot,
    each text column (a name, so its vectorizer reads 1-D text) TF-IDF for ``n_rows`` rows (None:
    many). With text, its output is a sparse CSR matrix, whatever the density."""
    parts = []
    numeric, categorical = roles.parts("numeric"), roles.parts("categorical")
    if numeric:
        parts.append(
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric)
        )
    if categorical:
        parts.append(
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            )
        )
    n_rows = MIN_ROWS_FOR_RATIOS if n_rows is None else n_rows
    parts += [(f"text{k}", text_vectorizer(n_rows), name) for k, name in enumerate(roles.text)]
    return ColumnTransformer(parts, sparse_threshold=1.0 if roles.text else 0.3)


def text_terms(roles: ColumnRoles, preprocessor: ColumnTransformer) -> dict[str, int]:
    """How many terms the fitted vectorizer of each text column kept."""
    fitted = preprocessor.named_transformers_
    return {name: len(fitted[f"text{k}"].vocabulary_) for k, name in enumerate(roles.text)}


def fit_preprocessor(roles: ColumnRoles, features: pd.DataFrame) -> ColumnTransformer:
    """:func:`make_preprocessor` fitted on ``features`` (from :func:`feature_frame`).

    Raises ``ValueError`` naming each numeric column that standardization cannot handle: one
    with infinite values, or with values so large (beyond about 1e154) that their squares
    overflow and the column's variance is not a number.
    """
    for name in roles.numeric:
        values = features[name].to_numpy(dtype=float)
        if np.isinf(values).any():
            raise ValueError(
                f"column {name!r} holds infinite values (such as {values[np.isinf(values)][0]}); "
                "replace them with numbers, or leave the cells empty to have them filled with the "
                "median"
            )
    preprocessor = make_preprocessor(roles, len(features))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            preprocessor.fit(features)
        except ValueError:
            for name in roles.text:  # the vectorizer's "empty vocabulary", in the CLI's words
                refuse_wordless(name, features[name])
            raise
    if roles.parts("numeric"):
        scaler = preprocessor.named_transformers_["numeric"][-1]
        bad = ~(np.isfinite(scaler.mean_) & np.isfinite(scaler.var_) & np.isfinite(scaler.scale_))
        for name in [name for name, wrong in zip(roles.parts("numeric"), bad) if wrong]:
            largest = np.nanmax(np.abs(features[name].to_numpy(dtype=float)))
            raise ValueError(
                f"column {name!r} holds values too large to standardize (up to {largest:.3g}): "
                "their squares overflow, so its variance is not a number; rescale the column "
                f"(e.g. divide it by {10 ** round(np.log10(largest) / 2):.0e}) or drop it"
            )
    return preprocessor


def text_vectorizer(n_rows: int) -> TfidfVectorizer:
    """The vectorizer of a text column fitted on ``n_rows`` rows (see ``TFIDF``)."""
    return TfidfVectorizer(**TFIDF, min_df=2 if n_rows >= MIN_ROWS_FOR_RATIOS else 1)


def refuse_wordless(name: str, values: pd.Series) -> None:
    """A ``ValueError`` naming text column ``name`` when its vectorizer would find no term in
    ``values`` (from :func:`text_values`): no word, or none in 2 rows."""
    vectorizer = text_vectorizer(len(values))
    try:
        vectorizer.fit(values)
    except ValueError:
        rows = f"in {vectorizer.min_df} or more rows" if vectorizer.min_df > 1 else "at all"
        raise ValueError(
            f"text column {name!r} has no word (2 or more letters or digits) that appears {rows}, "
            f"so it gives no features; drop it (--drop {name})"
        ) from None
