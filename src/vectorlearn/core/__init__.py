"""The lecture's math, vectorized: examples are columns.

Everything below the estimators works on matrices whose columns are examples, exactly as the
lecture writes them, and takes its array namespace ``xp`` from the arrays it is given, so the same
functions run on NumPy, array-api-strict, PyTorch and CuPy (GPU), JAX (where :mod:`.compiled`
traces a whole epoch once) and, block by block, Dask.

Glossary (one place for the symbols used across ``vectorlearn.core``)
---------------------------------------------------------------------
m
    Number of examples (columns).
n_l
    Number of units in layer ``l``; ``n_0`` is the number of input features.
X : (n_0, m)
    Input features, one example per column.
Y : (n_L, m)
    Targets: 0/1 rows for sigmoid outputs, one-hot columns for softmax, real values for identity.
S : (1, m) or None
    Example weights, scaled so that ``None`` means every weight is 1.
W_l : (n_{l-1}, n_l)
    Weights of layer ``l``.  B_l : (n_l, 1) its intercepts (the lecture's ``b``).
K_l : (n_l, m)
    Pre-activations ``K_l = W_l^T A_{l-1} + B_l``; ``K_L`` are the logits.
A_l : (n_l, m)
    Activations ``A_l = g(K_l)``, with ``A_0 = X``.
H : (n_L, m)
    The model's output ``H = out(K_L)``: sigmoid, softmax, or identity.
L : (1, m)
    Loss of each example.
J : 0-D array
    The cost ``sum(S * L) / m + (l2 / 2) sum_l ||W_l||^2``.
dW, dB, dK, dA
    Always the gradient of the cost J with respect to that array, of the same shape.
"""

from .activations import ACTIVATIONS, Activation, sigmoid
from .backend import gpu_namespace, namespace, to_numpy
from .heads import HEADS, Head, cost_and_dK, softmax
from .layers import dense_backward, dense_forward
from .lbfgs import train_lbfgs
from .network import Network, add_penalty, make_dropout_masks
from .optimizers import OPTIMIZERS, Adam, BarzilaiBorwein, GradientDescent, Momentum, Optimizer
from .schedules import SCHEDULES, make_schedule
from .stability import lipschitz_learning_rate
from .training import (
    Batches,
    History,
    Hooks,
    InMemory,
    LoopState,
    TrainConfig,
    TrainingDiverged,
    data_cost,
    minibatches,
    train,
)

__all__ = [
    "ACTIVATIONS",
    "HEADS",
    "OPTIMIZERS",
    "SCHEDULES",
    "Activation",
    "Adam",
    "BarzilaiBorwein",
    "Batches",
    "GradientDescent",
    "Head",
    "History",
    "Hooks",
    "InMemory",
    "LoopState",
    "Momentum",
    "Network",
    "Optimizer",
    "TrainConfig",
    "TrainingDiverged",
    "add_penalty",
    "cost_and_dK",
    "data_cost",
    "dense_backward",
    "dense_forward",
    "gpu_namespace",
    "lipschitz_learning_rate",
    "make_dropout_masks",
    "make_schedule",
    "minibatches",
    "namespace",
    "sigmoid",
    "softmax",
    "to_numpy",
    "train",
    "train_lbfgs",
]
