"""Tables in, matrices out: read a CSV or Parquet file and infer each column's role, from which
``_preprocessor`` builds the scikit-learn preprocessing (a ``ColumnTransformer``) that turns
rows into the feature matrix. This module imports no scikit-learn.

Roles, in the order they are decided (each decision is a note; the user's lists override it):

- the target column (never a feature); ``--id``'s column (kept beside predictions);
- dropped: columns the user drops, columns with no values, ids (whole numbers or code-like text,
  every value distinct, in any row order: named like an id, a permutation of a range, or codes
  such as ``P-0042``), group ids (a person or firm number that repeats, as in panel data) and
  free text that is not prose (text with more distinct values than half the rows);
- dates: ISO dates (``2021-03-04``, with or without a time) become year, month, day of week and
  days since 1970-01-01, computed by :func:`feature_frame` at training and at prediction alike;
- text: prose (values of ``PROSE_MIN_WORDS`` words or more on average) and ``--text``'s columns:
  gaps become ``""``, then one ``TfidfVectorizer`` per column (settings: ``_columns.TFIDF``),
  whose sparse output keeps the whole feature matrix sparse;
- categorical: text, booleans, and whole-number columns with at most ``MAX_NUMERIC_CATEGORIES``
  distinct values that are not an ordered range (``year`` 1980..1987 stays numeric): the most
  frequent value fills gaps, then one-hot encoding (unseen categories are ignored);
- numeric: everything else: the median fills gaps, then standardization.
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field

import pandas as pd

from ._columns import (
    DATE_PARTS,
    MAX_CLASSES,
    MAX_NUMERIC_CATEGORIES,
    category_text,
    date_parts,
    group_id_repeats,
    is_categorical,
    is_date,
    is_free_text,
    is_id_like,
    is_prose,
    part_name,
    text_values,
    whole_numbers,
    words_per_value,
)


def read_table(path) -> pd.DataFrame:
    """Read a ``.csv`` (any other extension is read as CSV) or ``.parquet`` file.

    Raises ``ValueError`` with the file name for a missing, empty or unreadable file.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder, not a data file")
    try:
        if path.lower().endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, encoding="utf-8-sig", skipinitialspace=True)
    except ImportError as error:
        raise ValueError(f"{path}: reading Parquet needs pyarrow ({error})") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty: it has no header and no rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as error:
        reason = " ".join(str(error).split())
        raise ValueError(f"{path} could not be read as a table: {reason}") from None
    if frame.shape[0] == 0:
        raise ValueError(f"{path} has a header but no rows of data")
    frame.columns = [str(c).strip() for c in frame.columns]
    names = list(frame.columns)
    if not path.lower().endswith((".parquet", ".pq")) and os.path.isfile(path):
        names = _csv_header(path) or names  # pandas renames a repeated "x" to "x.1": look first
    _refuse_repeated_names(path, names)
    unnamed = {  # pandas calls a column with an empty header "Unnamed: k": say what it is
        old: f"column {k + 1} (no header)"
        for k, old in enumerate(frame.columns)
        if re.fullmatch(r"Unnamed: \d+", old) and (k >= len(names) or not names[k])
    }
    return frame.rename(columns=unnamed) if unnamed else frame


def _csv_header(path: str) -> list[str]:
    """The names in the first non-blank row of a CSV file, as written (stripped)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            for row in csv.reader(file, skipinitialspace=True):
                if row:
                    return [name.strip() for name in row]
    except (OSError, UnicodeDecodeError, csv.Error):
        pass
    return []


def _refuse_repeated_names(path: str, names: list[str]) -> None:
    counts = Counter(name for name in names if name)  # pandas names empty ones "Unnamed: k"
    repeated = [f"{name!r} ({n} times)" for name, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(
            f"{path} has repeated column names: {', '.join(repeated)}; make every column name "
            "unique"
        )


@dataclass
class ColumnRoles:
    """What each column of a table is for. ``notes`` say why columns were dropped."""

    target: str
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    id_column: str | None = None
    notes: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    @property
    def features(self) -> list[str]:
        """The columns the model reads (a date column gives several features)."""
        return self.numeric + self.categorical + self.dates + self.text

    def parts(self, kind: str) -> list[str]:
        """The ``"numeric"`` or ``"categorical"`` columns of :func:`feature_frame`'s frame:
        the table's, then the date parts of that kind."""
        derived = [part_name(d, p) for d in self.dates for p, k in DATE_PARTS.items() if k == kind]
        return (self.numeric if kind == "numeric" else self.categorical) + derived

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ColumnRoles:
        return cls(**data)


def infer_roles(
    frame: pd.DataFrame, target: str, *, drop=(), categorical=(), numeric=(), text=(), id=None,
    detect_text=True,
):  # fmt: skip
    """Decide the role of every column of ``frame``; the user's lists override the inference.
    ``detect_text=False`` (resuming a run made before it existed) drops prose as free text."""
    if target not in frame.columns:
        raise ValueError(
            f"there is no target column {target!r}; the columns are: {', '.join(frame.columns)}"
        )
    given = (("--drop", drop), ("--categorical", categorical), ("--numeric", numeric))
    given += (("--text", text),)
    for option, names in (*given, ("--id", [id] if id is not None else [])):
        unknown = [n for n in names if n not in frame.columns]
        if unknown:
            raise ValueError(
                f"{option} names columns that do not exist: {', '.join(unknown)}; the columns "
                f"are: {', '.join(frame.columns)}"
            )
    if id is not None and (id == target or any(id in names for _, names in given)):
        raise ValueError(
            f"--id {id}: the id column cannot also be the target or in {given[0][0]}, "
            "--categorical, --numeric or --text"
        )
    _refuse_two_roles(target, text, categorical, numeric, drop)
    roles = ColumnRoles(target=target, id_column=id)
    for name in frame.columns:
        if name != target:
            _decide(roles, name, frame[name], drop, categorical, numeric, text, detect_text)
    if not roles.features:
        raise ValueError(
            "no usable feature columns are left after dropping "
            f"{', '.join(roles.dropped) or 'nothing'}; check the file or the --drop option"
        )
    return roles


def _refuse_two_roles(target, text, categorical, numeric, drop) -> None:
    """``--text`` names neither the target nor a column of the other role options."""
    if target in text:
        raise ValueError(f"--text {target}: {target!r} is the target, which cannot be a feature")
    for option, names in (("--categorical", categorical), ("--numeric", numeric), ("--drop", drop)):
        both = [name for name in text if name in names]
        if both:
            raise ValueError(
                f"--text and {option} both name {', '.join(both)}; give each column one role"
            )


def _decide(roles, name, column, drop, categorical, numeric, text=(), prose=True) -> None:
    """Give column ``name`` its role, with a note saying why where the data decided it."""
    if name == roles.id_column:
        roles.dropped.append(name)
        roles.notes.append(f"{name!r} is the id column: asked to (--id); predict keeps it")
    elif name in drop:
        roles.dropped.append(name)
        roles.notes.append(f"dropped {name!r}: asked to")
    elif column.isna().all():
        roles.dropped.append(name)
        roles.notes.append(f"dropped {name!r}: it has no values")
    elif name in text:
        roles.text.append(name)
        roles.notes.append(f"{name!r} is text: asked to (--text); TF-IDF of its words")
    elif name in categorical:
        roles.categorical.append(name)
    elif name in numeric:
        if not pd.api.types.is_numeric_dtype(column):
            raise ValueError(f"--numeric {name}: the column holds text, not numbers")
        roles.numeric.append(name)
    elif is_date(column):
        roles.dates.append(name)
        roles.notes.append(
            f"{name!r} holds dates: used as year, month, day of week and days since 1970-01-01"
        )
    elif is_id_like(column):
        roles.dropped.append(name)
        roles.id_column = roles.id_column or name
        roles.notes.append(f"dropped {name!r}: it looks like an id (every value distinct)")
    elif (repeats := group_id_repeats(column)) is not None:
        roles.dropped.append(name)
        roles.id_column = roles.id_column or name
        roles.notes.append(
            f"dropped {name!r}: it looks like a group id ({column.nunique()} values, each in "
            f"about {repeats:.3g} rows); use --numeric or --categorical {name} to keep it"
        )
    elif prose and is_prose(column):
        roles.text.append(name)
        roles.notes.append(
            f"{name!r} is text ({words_per_value(column)[0]:.3g} words per value on average): "
            f"TF-IDF of its words; use --drop {name} to leave it out"
        )
    elif is_free_text(column):
        roles.dropped.append(name)
        roles.notes.append(
            f"dropped {name!r}: free text ({column.nunique()} distinct values in "
            f"{len(column)} rows); use --categorical {name} to keep it"
        )
    elif is_categorical(column):
        roles.categorical.append(name)
    else:
        roles.numeric.append(name)
        if whole_numbers(column) and column.nunique() <= MAX_NUMERIC_CATEGORIES:
            low, high = column.min(), column.max()
            roles.notes.append(
                f"{name!r} is numeric: {column.nunique()} ordered whole numbers from {low:g} to "
                f"{high:g}; use --categorical {name} to one-hot encode it"
            )


def feature_frame(frame: pd.DataFrame, roles: ColumnRoles) -> pd.DataFrame:
    """The feature columns of ``frame``, with categories as text and gaps as NaN.

    Raises ``ValueError`` naming any feature column the model needs that ``frame`` lacks.
    """
    missing = [name for name in roles.features if name not in frame.columns]
    if missing:
        raise ValueError(f"the data lacks column(s) the model needs: {', '.join(missing)}")
    features = frame[roles.numeric + roles.categorical].copy()
    for name in roles.dates:
        for (part, values), kind in zip(date_parts(frame[name]).items(), DATE_PARTS.values()):
            categories = values.map(category_text).astype(object)
            features[part] = categories if kind == "categorical" else values
    for name in roles.categorical:
        features[name] = features[name].map(category_text).astype(object)
    for name in roles.text:
        features[name] = text_values(frame[name])
    for name in roles.numeric:
        try:
            features[name] = pd.to_numeric(features[name], errors="raise").astype(float)
        except (ValueError, TypeError):
            raise ValueError(
                f"column {name!r} should hold numbers but holds text such as "
                f"{_first_non_number(features[name])!r}; fix the file or use --categorical {name}"
            ) from None
    return features


def _first_non_number(column: pd.Series):
    for value in column.dropna():
        try:
            float(value)
        except (TypeError, ValueError):
            return value
    return None


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP's CSV-injection characters
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def escape_formula(value):
    """``value`` with a single quote in front when it is text a spreadsheet would take for a
    formula (it starts with ``= + - @``, a tab or a carriage return), as OWASP recommends
    against CSV injection; numbers, and text that is a plain number such as ``-1.5``, stay."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        if not _PLAIN_NUMBER.fullmatch(value):
            return "'" + value
    return value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`escape_formula` applied to its column names and to the
    cells of its text columns (numeric and boolean columns are left as they are)."""
    frame = frame.rename(columns=escape_formula)
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        frame.isetitem(position, column.map(escape_formula).astype(object))
    return frame


def infer_task(target: pd.Series) -> str:
    """``"classification"`` for text, booleans and few whole numbers, else ``"regression"``."""
    values = target.dropna()
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "classification"
    if whole_numbers(values) and values.nunique() <= MAX_CLASSES:
        return "classification"
    return "regression"
