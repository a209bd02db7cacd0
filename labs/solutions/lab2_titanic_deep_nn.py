"""Lab 2: who survived the Titanic? A deep network in NumPy, every passenger at once.

Lab 1 visited one passenger and one feature at a time. Here the for loops become matrices, as
in the lecture: the passengers are the columns of ``X``, and one matrix product computes a
layer for all of them.

    X    (n_0, m)          one passenger per column, n_0 = 8 features
    Y    (1, m)            1 survived, 0 died
    W_l  (N_{l-1}, N_l)    the weights of layer l (N_0 = n_0; the last layer has N_L = 1 unit)
    B_l  (N_l, 1)          its intercepts, broadcast over the m columns
    K_l = W_l^T A_{l-1} + B_l    (N_l, m),  A_0 = X
    A_l = relu(K_l) for hidden layers,  H = A_L = sigmoid(K_L)  (1, m)

In Python the layers live in two lists, ``W[0]`` is ``W_1``, ``W[1]`` is ``W_2``, and so on
(``B`` the same). Fill in each function where it says ``# your code here`` (remove the
``raise``), in order, and check your work after each one::

    vectorlearn check-lab lab2 lab2_titanic_deep_nn.py

The checker compares your functions with the reference on small random inputs, and your
``backward`` with finite differences of your own ``cost``, and names the first one that is
wrong. When all pass, ``python lab2_titanic_deep_nn.py`` trains on 1047 passengers and scores
the other 262.
"""

from __future__ import annotations

import csv

import numpy as np

from vectorlearn.labs import titanic_csv

FEATURES = ["class_1st", "class_2nd", "class_3rd", "female", "age", "age_unknown", "sibsp", "parch"]


# ---- given: the data as matrices -----------------------------------------------------------------
def load_data(path):
    """Read the Titanic CSV into ``X`` (8, m), one passenger per column, and ``Y`` (1, m).

    The rows of ``X`` are the ``FEATURES``: three one-hot rows for the class, 1 for women and
    girls, the age (unknown ages filled with the median of the known ones) and a row that marks
    them, and the numbers of siblings or spouses and of parents or children aboard.
    """
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    m = len(rows)
    X = np.zeros((len(FEATURES), m))  # (8, m)
    Y = np.zeros((1, m))  # (1, m)
    for j, row in enumerate(rows):
        X[FEATURES.index("class_" + row["pclass"]), j] = 1.0
        X[FEATURES.index("female"), j] = float(row["sex"] == "female")
        X[FEATURES.index("age_unknown"), j] = float(row["age"] == "")
        X[FEATURES.index("age"), j] = float(row["age"]) if row["age"] else np.nan
        X[FEATURES.index("sibsp"), j] = float(row["sibsp"])
        X[FEATURES.index("parch"), j] = float(row["parch"])
        Y[0, j] = float(row["survived"] == "survived")
    age = X[FEATURES.index("age")]  # (m,), a view of the age row
    age[np.isnan(age)] = np.nanmedian(age)
    return X, Y


def standardize(X_train, X_other):
    """Scale every feature (row) to mean 0 and standard deviation 1 on the training columns."""
    mean = np.mean(X_train, axis=1, keepdims=True)  # (n_0, 1): keepdims keeps it a column
    std = np.std(X_train, axis=1, keepdims=True)  # (n_0, 1)
    return (X_train - mean) / std, (X_other - mean) / std  # (n_0, 1) broadcast over m columns


# ---- yours ---------------------------------------------------------------------------------------
def init_params(sizes, rng):
    """Return the lists ``W`` and ``B`` for a network of layer sizes ``(N_0, N_1, ..., N_L)``.

    ``W[l - 1]`` (``W_l``) has shape ``(N_{l-1}, N_l)``, drawn from
    ``rng.normal(0.0, np.sqrt(2 / N_{l-1}), size=...)`` (He initialization: random, so that
    the units of a layer differ). ``B[l - 1]`` (``B_l``) is ``np.zeros((N_l, 1))``: a column,
    not a rank-1 array of shape ``(N_l,)``.
    """
    W, B = [], []
    for l in range(1, len(sizes)):
        W.append(rng.normal(0.0, np.sqrt(2 / sizes[l - 1]), size=(sizes[l - 1], sizes[l])))
        B.append(np.zeros((sizes[l], 1)))  # (N_l, 1)
    return W, B


def forward(X, W, B):
    """Forward propagation: return ``H`` (1, m) and a ``cache`` of what ``backward`` needs.

    For every layer ``K_l = W_l^T A_{l-1} + B_l`` with ``A_0 = X``; hidden layers apply ReLU,
    ``A_l = max(K_l, 0)``, and the last one the sigmoid, ``H = 1 / (1 + e^-K_L)``. The cache
    can be anything (a tuple of lists of the ``A`` and ``K`` matrices, say): only your own
    ``backward`` reads it.
    """
    As, Ks = [X], []  # As[l] is A_l (A_0 = X); Ks[l - 1] is K_l
    for l in range(len(W)):
        K = W[l].T @ As[-1] + B[l]  # (N_l, m)
        last = l == len(W) - 1
        Ks.append(K)
        As.append(1 / (1 + np.exp(-K)) if last else np.maximum(K, 0))  # (N_l, m)
    return As[-1], (As, Ks)


def cost(H, Y):
    """The cost ``J = -(1/m) sum(Y log(H) + (1 - Y) log(1 - H))`` over the m columns, a float."""
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(H) + (1 - Y) * np.log(1 - H)) / m)


def backward(Y, W, cache):
    """Backward propagation: return the lists ``dW`` and ``dB``, each array shaped as its
    parameter, of the gradients of ``J = cost(H, Y)``.

    The chain rule, as whole matrices: start at the output with the fused
    ``dK_L = dJ/dH * dH/dK_L = (H - Y) / m`` (1, m), then for ``l = L, ..., 1``::

        dW_l = A_{l-1} dK_l^T                    (N_{l-1}, N_l)
        dB_l = dK_l summed over its columns      (N_l, 1)   np.sum(..., axis=1, keepdims=True)
        dA_{l-1} = W_l dK_l                      (N_{l-1}, m)
        dK_{l-1} = dA_{l-1} * (K_{l-1} > 0)      (N_{l-1}, m)   ReLU's slope is 1 or 0
    """
    As, Ks = cache
    m = Y.shape[1]
    L = len(W)
    dW, dB = [None] * L, [None] * L
    dK = (As[L] - Y) / m  # (1, m)
    for l in reversed(range(L)):  # Python index l holds layer l + 1
        dW[l] = As[l] @ dK.T  # (N_{l-1}, N_l)
        dB[l] = np.sum(dK, axis=1, keepdims=True)  # (N_l, 1)
        if l > 0:
            dA = W[l] @ dK  # (N_{l-1}, m)
            dK = dA * (Ks[l - 1] > 0)  # (N_{l-1}, m)
    return dW, dB


def update(W, B, dW, dB, alpha):
    """One gradient-descent step, ``W_l = W_l - alpha dW_l`` and ``B_l = B_l - alpha dB_l`` for
    every layer; return the new lists ``W, B``."""
    W = [W_l - alpha * dW_l for W_l, dW_l in zip(W, dW)]
    B = [B_l - alpha * dB_l for B_l, dB_l in zip(B, dB)]
    return W, B


def train(X, Y, sizes, num_epochs, alpha, seed=0):
    """Full-batch gradient descent; return ``W, B`` and the list of costs, one per epoch.

    Start from ``init_params(sizes, np.random.default_rng(seed))``. Every epoch: forward, then
    append ``cost(H, Y)`` (the cost before this epoch's step) to the costs, backward, update.
    """
    W, B = init_params(sizes, np.random.default_rng(seed))
    costs = []
    for _epoch in range(num_epochs):
        H, cache = forward(X, W, B)
        costs.append(cost(H, Y))
        dW, dB = backward(Y, W, cache)
        W, B = update(W, B, dW, dB, alpha)
    return W, B, costs


def predict(X, W, B):
    """The predicted labels, ``(1, m)`` integers: 1 (survived) where ``H >= 0.5``, else 0."""
    H, _ = forward(X, W, B)
    return (H >= 0.5).astype(int)


def main():
    X, Y = load_data(titanic_csv())
    columns = np.arange(X.shape[1])
    validation = columns % 5 == 0  # every fifth passenger (the file is sorted by class and name)
    X_train, X_val = standardize(X[:, ~validation], X[:, validation])
    Y_train, Y_val = Y[:, ~validation], Y[:, validation]
    sizes = (X.shape[0], 8, 4, 1)
    W, B, costs = train(X_train, Y_train, sizes, num_epochs=2000, alpha=0.1)
    print(f"layer sizes {sizes}; trained on {X_train.shape[1]}, checked on {X_val.shape[1]}")
    for epoch in (0, 10, 100, 1000, len(costs) - 1):
        print(f"  epoch {epoch + 1:5d}  cost {costs[epoch]:.4f}")
    print(f"training accuracy   {np.mean(predict(X_train, W, B) == Y_train):.3f}")
    print(f"validation accuracy {np.mean(predict(X_val, W, B) == Y_val):.3f}")


if __name__ == "__main__":
    main()
