"""Export fitted estimators to ONNX, built by hand with ``onnx.helper`` (needs the onnx extra).

The graph is the forward pass, one ``MatMul`` + ``Add`` per layer with the weights stored as
float32 initializers, examples as rows: input ``"X"`` (m, n_features), float32.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._files import atomic_write
from .core.activations import LEAKY_SLOPE
from .core.backend import to_numpy
from .estimators import LogisticRegression, MLPClassifier, MLPRegressor

OPSET = 17
IR_VERSION = 8  # the IR version that goes with opset 17, so older runtimes load the file too
HIDDEN_OPS = {"relu": "Relu", "leaky_relu": "LeakyRelu", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def to_onnx(model, path):
    """Write a fitted estimator to ``path`` as an ONNX model and return the ``ModelProto``.

    Parameters
    ----------
    model : LogisticRegression, MLPClassifier or MLPRegressor
        A fitted vectorlearn estimator.
    path : str or os.PathLike
        Where to write the file; it is replaced atomically (temporary file, then rename).

    Returns
    -------
    onnx.ModelProto
        Input ``"X"`` float32 of shape (m, n_features). Classifiers output ``"probabilities"``
        float32 (m, n_classes) like ``predict_proba`` (two classes give ``[1 - p, p]``; multilabel
        gives one sigmoid per label, (m, k)). ``MLPRegressor`` outputs ``"predictions"`` float32,
        (m,) if it was fitted on a 1-D ``y``, else (m, n_targets), like ``predict``: with
        ``standardize_target=True`` the graph ends with ``Mul`` by ``target_scale_`` and ``Add``
        of ``target_mean_`` (as float32), in the target's units.

    Raises
    ------
    ImportError
        If onnx is not installed.
    TypeError
        If ``model`` is not one of the three estimators.
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as error:
        raise ImportError(
            'to_onnx needs the onnx package: pip install "vectorlearn[onnx]"'
        ) from error
    if not isinstance(model, (LogisticRegression, MLPClassifier, MLPRegressor)):
        raise TypeError(
            "to_onnx exports vectorlearn's LogisticRegression, MLPClassifier or MLPRegressor, "
            f"not {type(model).__module__}.{type(model).__qualname__}"
        )
    check_is_fitted(model)
    network, W, B = model._fitted_network()  # wherever the weights live
    coefs = [to_numpy(w) for w in W]  # W_l: (n_{l-1}, n_l)
    intercepts = [to_numpy(b)[:, 0] for b in B]  # B_l as (n_l,)
    activation = "identity" if network.n_layers == 1 else network.activation
    head = network.head

    nodes, initializers = [], []

    def node(op, inputs, output, **attributes):
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def constant(name, value, dtype=np.float32):
        initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    A = "X"  # (m, n_0)
    for l, (W, b) in enumerate(zip(coefs, intercepts), start=1):
        K = node("MatMul", [A, constant(f"W{l}", W)], f"XW{l}")  # (m, n_l)
        A = node("Add", [K, constant(f"B{l}", b)], f"K{l}")  # b (n_l,) broadcasts over rows
        if l < len(coefs) and activation != "identity":
            alpha = {"alpha": LEAKY_SLOPE} if activation == "leaky_relu" else {}
            A = node(HIDDEN_OPS[activation], [A], f"A{l}", **alpha)
    n_out = coefs[-1].shape[1]

    if isinstance(model, MLPRegressor):
        output, shape = "predictions", [None, n_out]
        if getattr(model, "target_mean_", None) is not None:  # back to the target's units
            A = node("Mul", [A, constant("target_scale", model.target_scale_)], "H_scaled")
            A = node("Add", [A, constant("target_mean", model.target_mean_)], "H")  # (m, n_L)
        if model._y_ndim == 1:  # (m, 1) -> (m,), as predict
            node("Reshape", [A, constant("flat", [-1], np.int64)], output)
            shape = [None]
        else:
            node("Identity", [A], output)
    else:
        output, shape = "probabilities", [None, max(n_out, 2)]
        if head == "softmax":
            node("Softmax", [A], output, axis=1)
        elif n_out > 1:  # multilabel: one sigmoid per label
            node("Sigmoid", [A], output)
        else:  # binary: [1 - p, p]
            p = node("Sigmoid", [A], "p")  # (m, 1)
            q = node("Sub", [constant("one", 1.0), p], "q")  # (m, 1)
            node("Concat", [q, p], output, axis=1)

    graph = helper.make_graph(
        nodes,
        type(model).__name__,
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [None, coefs[0].shape[0]])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, shape)],
        initializers,
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="vectorlearn",
    )
    onnx.checker.check_model(onnx_model, full_check=True)
    with atomic_write(path) as file:
        file.write(onnx_model.SerializeToString())
    return onnx_model
