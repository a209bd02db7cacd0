"""Text classification on sparse TF-IDF features: vectorlearn against scikit-learn.

The texts are the docstrings of NumPy, SciPy, pandas and scikit-learn, as installed here
(``vectorlearn.data.load_docstrings``: about 4,000 documents, nothing downloaded); the task is to
tell which library a docstring comes from. TF-IDF features (a SciPy CSR matrix, about 1% non-zero)
are made once, on a fixed split, and every model trains on the same sparse matrix, never densified.

    python examples/text_classification.py          # LogisticRegression: vectorlearn, scikit-learn
    python examples/text_classification.py --mlp    # and vectorlearn's MLPClassifier
"""

from __future__ import annotations

import argparse
import time
import warnings

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
from sklearn.model_selection import train_test_split

from vectorlearn import LogisticRegression, MLPClassifier
from vectorlearn.data import load_docstrings

C = 10.0  # TF-IDF rows have unit length: the default C=1 penalizes them hard (0.980 against 0.982)


def features(test_size=0.25, seed=0):
    """TF-IDF of the docstrings, fitted on the training texts: X_train, X_test (CSR), y_train,
    y_test, and the data set (its ``target_names``)."""
    docs = load_docstrings()
    train, test, y_train, y_test = train_test_split(
        docs.data, docs.target, test_size=test_size, random_state=seed, stratify=docs.target
    )
    tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2)  # words in at least two training texts
    return tfidf.fit_transform(train), tfidf.transform(test), y_train, y_test, docs


def models(mlp=False):
    """The contenders, by name: the same L2-penalized multinomial objective for both logistic
    regressions (L-BFGS, the same C), and optionally a one-hidden-layer network."""
    contenders = {
        "vectorlearn LogisticRegression": LogisticRegression(C=C),
        "scikit-learn LogisticRegression": SklearnLogisticRegression(C=C, max_iter=1000),
    }
    if mlp:
        contenders["vectorlearn MLPClassifier (32,)"] = MLPClassifier((32,), random_state=0)
    return contenders


def compare(X_train, X_test, y_train, y_test, contenders):
    """``{name: (test accuracy, fit seconds)}`` of each model, trained on the same features."""
    results = {}
    for name, model in contenders.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the MLP's ConvergenceWarning at max_iter
            model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        results[name] = (model.score(X_test, y_test), seconds)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mlp", action="store_true", help="also train an MLPClassifier")
    args = parser.parse_args(argv)
    X_train, X_test, y_train, y_test, docs = features()
    m, n = X_train.shape
    print(
        f"{len(docs.data)} docstrings of {', '.join(docs.target_names)}; "
        f"train {m} x {n} TF-IDF (CSR, {X_train.nnz / (m * n):.2%} non-zero), test {len(y_test)}"
    )
    results = compare(X_train, X_test, y_train, y_test, models(args.mlp))
    width = max(map(len, results))
    print(f"{'model':<{width}}  accuracy  fit s")
    for name, (accuracy, seconds) in results.items():
        print(f"{name:<{width}}  {accuracy:8.3f}  {seconds:5.2f}")


if __name__ == "__main__":
    main()
