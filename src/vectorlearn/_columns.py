"""What one column of a table looks like: the tests :func:`vectorlearn.tabular.infer_roles`
applies to each column (ids, group ids, dates, prose, free text, categories), the date parts that
:func:`vectorlearn.tabular.feature_frame` computes from a date column, and the settings of a
text column's TF-IDF vectorizer (``TFIDF``; ``_preprocessor`` makes it)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

MAX_NUMERIC_CATEGORIES = 10  # whole-number columns with this many values or fewer are categories
MAX_CLASSES = 20  # whole-number targets with this many values or fewer are class labels
FREE_TEXT_RATIO = 0.5  # text with more distinct values than this share of rows is free text
MIN_ROWS_FOR_RATIOS = 20  # below this, distinct-value ratios say nothing
# Prose (TF-IDF features): text whose non-empty values hold on average at least PROSE_MIN_WORDS
# words (runs of letters: "12" and "P-0042" are no words), from a vocabulary of at least
# PROSE_MIN_VOCABULARY distinct words. Measured: Titanic's names ("Braund, Mr. Owen Harris")
# hold 4 to 5 words on average (8 at most) and stay free text, dropped; a template such as "seen
# on day 12 by dr 40" holds 5 words of a 5-word vocabulary; reviews and notes hold 10 to 100.
PROSE_MIN_WORDS = 6
PROSE_MIN_VOCABULARY = 30
WORD = re.compile(r"[^\W\d_]+")  # a run of letters, in any alphabet
PROSE_SAMPLE = 10_000  # prose is judged on the first this many non-empty values
# A text column's TfidfVectorizer: scikit-learn's words (2 or more letters or digits, lowercased),
# term counts damped to 1 + log(count) (sublinear_tf), each row's vector of length 1 (l2), at
# most MAX_TERMS terms (the most frequent), each in at least 2 rows once there are
# MIN_ROWS_FOR_RATIOS rows (a word seen once cannot help predict another row), in float64 as
# the other features. Its output is a sparse matrix.
MAX_TERMS = 20_000
TFIDF = {"sublinear_tf": True, "max_features": MAX_TERMS, "dtype": np.float64}
ID_NAME = re.compile(r"(^|[_\W])id$|^id([_\W]|$)|identifier|^index$", re.IGNORECASE)
CODE = re.compile(
    r"[A-Za-z]{0,6}[-_/.#]?\d{2,}[-_/.]?[A-Za-z0-9]{0,8}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
)
ISO_DATE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
)
MAX_GROUP_ROWS = 30  # an unnamed group id repeats at most this often (periods of a panel)
MIN_ORDERED_CODES = 6  # whole numbers: this many values or more spanning a short range: numeric
DATE_PARTS = {"year": "numeric", "month": "categorical", "day of week": "categorical"} | {
    "days since 1970-01-01": "numeric"
}


def whole_numbers(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        return False
    values = column.dropna().to_numpy(dtype=float)
    return values.size > 0 and bool(np.all(np.isfinite(values) & (values == np.round(values))))


def is_id_like(column: pd.Series) -> bool:
    """Every value distinct, and named like an id, or whole numbers counting up or filling a
    range (in any order), or code-like text."""
    values = column.dropna()
    if len(values) < MIN_ROWS_FOR_RATIOS or values.nunique() != len(column):
        return False
    named = bool(ID_NAME.search(str(column.name)))
    if whole_numbers(column):
        dense = values.max() - values.min() + 1 <= 1.1 * len(values)
        return named or dense or values.is_monotonic_increasing
    return not pd.api.types.is_numeric_dtype(column) and (named or code_like(values))


def code_like(values: pd.Series) -> bool:
    text = values.astype(str).str.strip()
    return bool(text.str.fullmatch(CODE).mean() >= 0.95)


def group_id_repeats(column: pd.Series) -> float | None:
    """How often each value repeats, for a group id: whole numbers or code-like text whose
    many values (at least 20 and the square root of the rows) each repeat, under an id's name,
    or about equally often and at most ``MAX_GROUP_ROWS`` times (a person seen once a year;
    not a minute of the hour); None for anything else."""
    values = column.dropna()
    counts = values.value_counts()
    many = max(MIN_ROWS_FOR_RATIOS, np.sqrt(len(values)))
    if len(counts) < many or counts.min() < 2:
        return None
    if not (whole_numbers(column) or (column.dtype == object and code_like(values))):
        return None
    if ID_NAME.search(str(column.name)):
        return float(counts.mean())
    if counts.max() <= 1.5 * counts.min() and counts.mean() <= MAX_GROUP_ROWS:
        return float(counts.mean())
    return None


def is_date(column: pd.Series) -> bool:
    """Text of ISO dates (``2021-03-04``, with or without a time), nearly all of it."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    text = column.dropna().astype(str).str.strip()
    return len(text) > 0 and bool(text.str.fullmatch(ISO_DATE).mean() >= 0.95)


def date_parts(column: pd.Series) -> dict:
    """The year, month, day of week (0 Monday) and days since 1970-01-01 of each date (NaN
    for gaps and text that is not a date), the same at training and prediction."""
    text = column.astype(object).where(column.notna(), None)
    when = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
    days = (when - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400
    parts = [when.dt.year, when.dt.month, when.dt.day_of_week, days]
    return {part_name(column.name, p): v.astype(float) for p, v in zip(DATE_PARTS, parts)}


def part_name(name: str, part: str) -> str:
    return f"{name} ({part})"


def is_free_text(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    n = len(column)
    return n >= MIN_ROWS_FOR_RATIOS and column.nunique() > FREE_TEXT_RATIO * n


def words_per_value(column: pd.Series) -> tuple[float, int]:
    """The mean number of words in the non-empty values of a text column, and how many
    distinct words (lowercased) they use; ``(0.0, 0)`` for numbers, booleans and no text."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return 0.0, 0
    text = column.dropna().astype(str)
    words = text[text.str.strip() != ""].head(PROSE_SAMPLE).str.lower().str.findall(WORD)
    if words.empty:
        return 0.0, 0
    return float(words.str.len().mean()), len(set().union(*words))


def is_prose(column: pd.Series) -> bool:
    """Text written in sentences (see ``PROSE_MIN_WORDS``): TF-IDF features, not a category."""
    mean, vocabulary = words_per_value(column)
    return mean >= PROSE_MIN_WORDS and vocabulary >= PROSE_MIN_VOCABULARY


def text_values(column: pd.Series) -> pd.Series:
    """A text column as the vectorizer reads it: each value as text, gaps as ``""``."""
    return column.map(category_text).fillna("").astype(object)


def is_categorical(column: pd.Series) -> bool:
    """Text, booleans, and few whole numbers that are not an ordered range such as years."""
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return True
    n = column.nunique()
    if not whole_numbers(column) or n > MAX_NUMERIC_CATEGORIES:
        return False
    ordered = n >= MIN_ORDERED_CODES and column.max() - column.min() + 1 <= 2 * n
    return not ordered


def category_text(value):
    """A category as text, the same whether a file stored it as 1, 1.0 or "1"; NaN stays NaN."""
    if pd.isna(value):
        return np.nan
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()
