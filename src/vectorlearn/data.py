"""Built-in data sets: the ones that ship with scikit-learn, so nothing is downloaded.

``BUILTIN`` names each one's loader in ``sklearn.datasets``; :func:`load` imports it only when a
data set is asked for, so the command line's ``--help`` does not import scikit-learn. For text,
:func:`load_docstrings` reads the docstrings of the installed NumPy, SciPy, pandas and
scikit-learn (also imported only when called).
"""

from __future__ import annotations

import importlib

BUILTIN = {
    "breast_cancer": "load_breast_cancer",
    "iris": "load_iris",
    "digits": "load_digits",
    "wine": "load_wine",
}
DEFAULT_DATASET = "breast_cancer"


def load(name: str, **options):
    """``sklearn.datasets.load_<name>(**options)`` for a name in ``BUILTIN``."""
    if name not in BUILTIN:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(sorted(BUILTIN))}")
    return getattr(importlib.import_module("sklearn.datasets"), BUILTIN[name])(**options)


# ---- text: the docstrings of the installed scientific Python libraries --------------------------
# The public modules whose functions and classes (and those classes' public methods) are read;
# scikit-learn's come from its ``__all__`` (its vendored ``externals`` left out).
DOCSTRING_MODULES = {
    "numpy": (
        "numpy numpy.linalg numpy.fft numpy.random numpy.ma numpy.polynomial numpy.strings "
        "numpy.char numpy.lib.stride_tricks numpy.testing"
    ).split(),
    "scipy": [
        f"scipy.{name}"
        for name in (
            "cluster.vq cluster.hierarchy constants datasets differentiate fft integrate "
            "interpolate io linalg ndimage odr optimize signal sparse sparse.linalg "
            "sparse.csgraph spatial spatial.distance special stats"
        ).split()
    ],
    "pandas": (
        "pandas pandas.api.types pandas.api.extensions pandas.plotting pandas.errors "
        "pandas.tseries.offsets pandas.arrays"
    ).split(),
    "sklearn": None,  # every public submodule in sklearn.__all__
}


def load_docstrings(min_length: int = 100):
    """Real English text that ships with the dependencies: the docstrings of NumPy, SciPy, pandas
    and scikit-learn, each labelled by its library (4 classes), for text classification.

    The documents are the docstrings (``inspect.getdoc``) of the public functions and classes of
    the modules in ``DOCSTRING_MODULES``, and of those classes' own public methods, from the
    versions installed here: the contents, and so the counts and the scores of a model, vary with
    those versions (NumPy 2.4, SciPy 1.17, pandas 3.1 and scikit-learn 1.9 give 3,972
    documents). Doctests (``>>>``, ``...`` and their output) are dropped: their ``import numpy
    as np`` would name the answer, and their random output would change the text from run to
    run. Texts shorter than ``min_length`` characters are left out, a text seen twice is kept
    once (under the first qualified name), and the documents come sorted by
    qualified name, so the same versions give the same data set. Nothing is downloaded.

    Returns a ``sklearn.utils.Bunch`` with ``data`` (list of str), ``target`` (int array),
    ``target_names`` (the four libraries) and ``names`` (each text's qualified name, such as
    ``scipy.linalg.solve``). Loading imports the four libraries' modules: about 2 s.
    """
    import warnings

    import numpy as np
    import sklearn
    from sklearn.utils import Bunch

    modules = dict(DOCSTRING_MODULES)
    modules["sklearn"] = [
        f"sklearn.{name}"
        for name in sklearn.__all__
        if name.islower() and name not in ("externals", "experimental")  # functions: not modules
    ]
    found = []  # (qualified name, library, text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated aliases, experimental modules
        for library, names in modules.items():
            for module_name in names:
                for name, obj in _public_members(module_name, library):
                    found += [(q, library, text) for q, text in _documents(name, obj)]
    texts, labels, names, seen = [], [], [], set()
    for qualified, library, text in sorted(found):
        if len(text) >= min_length and text not in seen:
            seen.add(text)
            texts.append(text)
            labels.append(library)
            names.append(qualified)
    target_names = np.array(list(modules))
    target = np.array([list(modules).index(label) for label in labels])
    return Bunch(data=texts, target=target, target_names=target_names, names=names)


def _public_members(module_name: str, library: str):
    """``(qualified name, object)`` of the public functions and classes that ``library``
    defines, as ``module_name`` exports them (none when the module is not there)."""
    import importlib
    import inspect

    try:
        module = importlib.import_module(module_name)
    except ImportError:  # a module of another version
        return
    exported = getattr(module, "__all__", None) or [n for n in vars(module) if n[0] != "_"]
    for name in sorted(n for n in exported if n[0] != "_"):
        try:
            obj = getattr(module, name)
        except Exception:  # scikit-learn's experimental names raise ImportError until enabled
            continue
        is_code = inspect.isroutine(obj) or inspect.isclass(obj) or type(obj).__name__ == "ufunc"
        home = str(getattr(obj, "__module__", None) or library)
        if is_code and home.split(".")[0] == library:
            yield f"{module_name}.{name}", obj


def _documents(qualified: str, obj):
    """The docstring of ``obj`` and, for a class, of each of its own public methods, without
    doctest lines, as ``(qualified name, text)`` pairs."""
    import inspect

    members = [(qualified, obj)]
    if inspect.isclass(obj):
        members += [
            (f"{qualified}.{name}", method)
            for name, method in sorted(vars(obj).items())
            if name[0] != "_" and inspect.isfunction(method)
        ]
    for name, member in members:
        yield name, _without_examples(inspect.getdoc(member) or "")


def _without_examples(doc: str) -> str:
    """``doc`` without doctests (a ``>>>`` line and what follows it up to a blank line: the
    ``...`` continuations and the printed output, random draws among them), and with the items
    of a set literal of strings sorted (SciPy prints such sets in the order of the hash seed)."""
    import re

    lines, in_example = [], False
    for line in doc.splitlines():
        in_example = line.lstrip().startswith(">>>") or (in_example and line.strip() != "")
        if not in_example:
            lines.append(line)
    text = "\n".join(lines).strip()
    sets = re.compile(r"\{('[^'{}]*'(?:, '[^'{}]*')+)\}")
    return sets.sub(lambda s: "{" + ", ".join(sorted(s.group(1).split(", "))) + "}", text)
