"""The estimators on other array namespaces: the same models as on NumPy, data kept in place.

Parametrized over array-api-strict (the standard, nothing more), JAX arrays (immutable: a step
that updated its state in place would silently lose it) and PyTorch CPU tensors (skipped, with the
reason, where torch is not installed; CI installs the CPU build). CUDA runs in
benchmarks/gpu_check.py on a machine with a GPU.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.preprocessing import StandardScaler

from vectorlearn import LogisticRegression, MLPClassifier, MLPRegressor
from vectorlearn.core.backend import namespace, to_numpy


def torch_namespace():
    torch = pytest.importorskip("torch", reason="PyTorch is optional: pip install torch==2.13.0")
    return torch


# CUDA cases run where a GPU is (benchmarks/gpu_check.py runs them there); CI has none.
BACKENDS = ["array_api_strict", "jax", "torch", "torch_cuda", "cupy"]


def jax_numpy():
    jax = pytest.importorskip("jax", reason="JAX is optional: pip install vectorlearn[jax]")
    jax.config.update("jax_enable_x64", True)  # float64 arrays, as NumPy's
    # on GPUs JAX multiplies float32 in TF32 by default (1e-2 off NumPy after an L-BFGS fit);
    # NumPy's and PyTorch's full float32 products are the reference here
    jax.config.update("jax_default_matmul_precision", "highest")
    return jax.numpy


def to_backend(name, a, dtype):
    a = np.asarray(a, dtype=dtype)
    if name.startswith("torch"):
        torch = torch_namespace()
        if name == "torch_cuda" and not torch.cuda.is_available():
            pytest.skip("no CUDA GPU on this machine")
        return torch.asarray(a, device="cuda" if name == "torch_cuda" else "cpu")
    if name == "jax":
        return jax_numpy().asarray(a)
    if name == "cupy":
        cupy = pytest.importorskip("cupy", reason="CuPy needs a CUDA GPU")
        try:
            cupy.cuda.runtime.getDeviceCount()
        except Exception:
            pytest.skip("CuPy is installed but finds no CUDA GPU")
        return cupy.asarray(a)
    xp = pytest.importorskip("array_api_strict", reason="array-api-strict is a test extra")
    return xp.asarray(a)


def data(regression=False):
    X, y = (load_diabetes if regression else load_iris)(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return X, (y / 100 if regression else y)


def fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y)


MODELS = {
    "logreg gd": lambda dt: LogisticRegression(solver="gd", dtype=dt),
    "logreg lbfgs": lambda dt: LogisticRegression(solver="lbfgs", dtype=dt),
    "mlp adam": lambda dt: MLPClassifier((8,), max_iter=20, random_state=0, dtype=dt),
    "mlp lbfgs": lambda dt: MLPClassifier(
        (8,), solver="lbfgs", max_iter=20, random_state=0, dtype=dt
    ),
    "mlp dropout": lambda dt: MLPClassifier(
        (8,), dropout=0.2, max_iter=10, random_state=0, dtype=dt
    ),
    "regressor": lambda dt: MLPRegressor((8, 4), max_iter=20, random_state=0, dtype=dt),
}


def weights(model):
    if hasattr(model, "coefs_"):
        return model.coefs_ + model.intercepts_
    return [model.coef_, model.intercept_]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-6), ("float32", 1e-4)])
def test_same_model_as_numpy(backend, name, dtype, tol):
    X, y = data(regression=name == "regressor")
    reference = fit(MODELS[name](dtype), X, y)
    model = fit(
        MODELS[name](dtype), to_backend(backend, X, dtype), to_backend(backend, y, "float64")
    )
    for ours, theirs in zip(weights(model), weights(reference)):
        assert namespace(ours) is namespace(to_backend(backend, X, dtype))  # trained in place
        np.testing.assert_allclose(to_numpy(ours), to_numpy(theirs), rtol=tol, atol=tol)
    Xb = to_backend(backend, X, dtype)
    out = model.predict_proba(Xb) if hasattr(model, "predict_proba") else model.predict(Xb)
    assert namespace(out) is namespace(Xb)  # the caller's array type comes back
    expected = (
        reference.predict_proba(X.astype(dtype))
        if hasattr(model, "predict_proba")
        else reference.predict(X.astype(dtype))
    )
    np.testing.assert_allclose(to_numpy(out), expected, rtol=tol, atol=tol)
    # NumPy input to a model trained on tensors gives NumPy back
    assert isinstance(model.predict(X), np.ndarray)
    # and score takes the caller's arrays, wherever they live
    yb = to_backend(backend, y, "float64")
    assert model.score(Xb, yb) == pytest.approx(reference.score(X.astype(dtype), y), abs=tol)


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_input_on_other_backends(backend):
    X, y = data()
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(to_backend(backend, bad, "float64"), y)
    with pytest.raises(ValueError, match="2D"):
        LogisticRegression().fit(to_backend(backend, X[:, 0], "float64"), y)
    with pytest.raises(ValueError, match="inconsistent"):
        LogisticRegression().fit(to_backend(backend, X, "float64"), y[:-1])
    model = LogisticRegression().fit(to_backend(backend, X, "float64"), y)
    with pytest.raises(ValueError, match="features"):
        model.predict(to_backend(backend, X[:, :2], "float64"))
    with pytest.raises(ValueError, match="one label per row"):  # scored on the device
        model.score(to_backend(backend, X, "float64"), to_backend(backend, y[:-1], "float64"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_score_of_non_integer_labels_on_a_device_raises_as_on_numpy(backend):
    # labels that are not whole numbers were compared on the device and scored 0.0 silently
    X, y = data()
    model = LogisticRegression().fit(X, y)
    Xb = to_backend(backend, X, "float64")
    with pytest.raises(ValueError, match="continuous"):
        model.score(X, y + 0.5)
    with pytest.raises(ValueError, match="continuous"):
        model.score(Xb, to_backend(backend, y + 0.5, "float64"))
    expected = model.score(X, y)  # whole numbers, of any dtype, are labels
    for dtype in ("float64", "int64", "int32"):
        assert model.score(Xb, to_backend(backend, y, dtype)) == pytest.approx(expected)


def test_torch_labels_come_back_as_tensors():
    torch = torch_namespace()
    X, y = data()
    model = LogisticRegression().fit(torch.asarray(X), torch.asarray(y))
    predicted = model.predict(torch.asarray(X))
    assert isinstance(predicted, torch.Tensor)
    assert (predicted.numpy() == LogisticRegression().fit(X, y).predict(X)).all()


def test_device_choice_without_a_gpu():
    from vectorlearn.core.backend import gpu_namespace

    if gpu_namespace() is not None:
        pytest.skip("this machine has a GPU; benchmarks/gpu_check.py covers that case")
    X, y = data()
    with pytest.raises(ValueError, match="device='cuda' needs a GPU"):
        LogisticRegression(device="cuda").fit(X, y)
    model = LogisticRegression(device="auto").fit(X, y)  # no GPU: stays on the CPU
    assert isinstance(model.coef_, np.ndarray)


@pytest.mark.parametrize("backend", ["numpy", *BACKENDS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_arrays_move_to_each_namespace_with_their_dtype_and_device(backend, dtype):
    # from_numpy moves the start of every fit and the encoded targets (JAX: by device_put)
    from vectorlearn.core.backend import device, from_numpy, like

    a = np.arange(6.0).reshape(3, 2)  # float64 on the host
    x = a.astype(dtype) if backend == "numpy" else to_backend(backend, a, dtype)
    xp = namespace(x)
    for moved in (from_numpy(a, xp, x.dtype, device(x)), like(a, x)):
        assert namespace(moved) is xp
        assert moved.dtype == x.dtype and device(moved) == device(x)
        np.testing.assert_array_equal(to_numpy(moved), a.astype(dtype))


def labels_of(kind):
    """Iris labels recoded: two classes, three, booleans (all whole numbers or bools)."""
    _, y = data()
    return {"binary": (y == 2) * 5.0, "three": y, "bool": y == 1, "int": y.astype(int) + 3}[kind]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["binary", "three", "bool", "int"])
@pytest.mark.parametrize("params", [{}, {"early_stopping": True}, {"class_weight": None}], ids=repr)
def test_labels_on_the_device_encode_there_to_the_hosts_numbers(backend, kind, params, monkeypatch):
    # a million labels took 30 ms to sort on the host: a fit of GPU tensors encodes them there
    import vectorlearn.estimators._data as data_module

    monkeypatch.setattr(data_module, "DEVICE_LABELS_FROM", 1)  # iris's 150 labels too
    X, y = data()[0], labels_of(kind)
    if "class_weight" in params:  # one class weighted 3 (a dict: bools cannot be "balanced")
        weighted = {"binary": 5.0, "three": 2.0, "bool": True, "int": 4}[kind]
        params = {"class_weight": {weighted: 3.0}}
    Xb = to_backend(backend, X, "float32")
    yb = to_backend(backend, y, {"bool": "bool", "int": "int64"}.get(kind, "float32"))
    on_device = []
    encode = data_module.encode_device_labels
    monkeypatch.setattr(
        data_module, "encode_device_labels", lambda *a: on_device.append(1) or encode(*a)
    )
    make = lambda: MLPClassifier((8,), max_iter=5, random_state=0, **params)  # noqa: E731
    ours = fit(make(), Xb, yb)
    assert on_device == [1]  # the labels stayed where they were
    host = fit(make(), Xb, to_numpy(yb))  # the same data, labels encoded on the host
    assert on_device == [1]
    assert ours.classes_.dtype == host.classes_.dtype
    np.testing.assert_array_equal(ours.classes_, host.classes_)
    for a, b in zip(weights(ours), weights(host)):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))  # the same numbers, bitwise


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_labels_on_the_device_raise_as_on_the_host(backend, monkeypatch):
    import vectorlearn.estimators._data as data_module

    monkeypatch.setattr(data_module, "DEVICE_LABELS_FROM", 1)  # iris's 150 labels too
    X, y = data()
    Xb = to_backend(backend, X, "float32")
    cases = [
        (MLPClassifier, y + 0.5, "continuous"),
        (MLPClassifier, np.where(np.arange(y.shape[0]) == 3, np.nan, y), "NaN"),
        (LogisticRegression, np.zeros_like(y), "only one class"),  # MLP takes one, as sklearn
    ]
    for make, bad, message in cases:
        for labels in (bad, to_backend(backend, bad, "float32")):
            with pytest.raises(ValueError, match=message):
                make(max_iter=2).fit(Xb, labels)
    one = fit(MLPClassifier((4,), max_iter=2), Xb, to_backend(backend, np.ones_like(y), "float32"))
    assert one.classes_.tolist() == [1.0]
    model = MLPClassifier((4,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.partial_fit(Xb, to_backend(backend, y, "float32"), classes=[0.0, 1.0, 2.0, 3.0])
    assert model.classes_.tolist() == [0.0, 1.0, 2.0, 3.0]  # a class not (yet) in y
    with pytest.raises(ValueError, match=r"labels \[7.0\] that are not in classes"):
        model.partial_fit(Xb, to_backend(backend, np.where(y == 2, 7.0, y), "float32"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_fast_gathers_and_namespaces_agree_with_the_portable_ones(backend):
    # take_rows skips array-api-compat's negative-index pass on PyTorch; namespace() keeps one
    # namespace per array type: both must give what the portable calls give
    import array_api_compat

    from vectorlearn.core.backend import device, take_rows

    A = to_backend(backend, np.arange(12.0).reshape(6, 2), "float32")
    xp = namespace(A)
    assert xp is array_api_compat.array_namespace(A)
    assert namespace(A, A) is xp  # now from the cache
    idx = xp.asarray(np.array([5, 0, 3, 3]), device=device(A))
    np.testing.assert_array_equal(
        to_numpy(take_rows(A, idx, xp)), to_numpy(xp.take(A, idx, axis=0))
    )
    with pytest.raises(TypeError, match="[Mm]ultiple namespaces"):  # no cache hit for a mix
        namespace(A, np.ones(2), A)


@pytest.mark.parametrize("backend", BACKENDS)
def test_relu_and_the_sigmoid_head_agree_with_numpy_and_make_no_array_per_call(
    backend, monkeypatch
):
    # ReLU's backward selects (where) off NumPy and multiplies by the mask on it; both compare
    # with a 0-D zero made once per dtype and device (a Python 0.0 would be a tensor copied from
    # the host, which on a GPU waits for the queue; a new zero each call, a kernel each)
    from vectorlearn.core.activations import ACTIVATIONS
    from vectorlearn.core.heads import HEADS, cost_and_dK

    relu = ACTIVATIONS["relu"]
    K_np = np.array([[-2.0, 0.0, 3.0, np.nan, -np.inf, np.inf]], dtype=np.float32)
    dA_np = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]], dtype=np.float32)
    K, dA = to_backend(backend, K_np, "float32"), to_backend(backend, dA_np, "float32")
    xp = namespace(K)
    A, dK = relu.forward(K, xp), relu.backward(dA, K, None, xp)
    assert A.dtype == dK.dtype == K.dtype
    np.testing.assert_array_equal(to_numpy(A), [[0.0, 0.0, 3.0, np.nan, 0.0, np.inf]])
    np.testing.assert_array_equal(to_numpy(dK), relu.backward(dA_np, K_np, None, namespace(K_np)))
    np.testing.assert_array_equal(to_numpy(dK), [[0.0, 0.0, 3.0, 0.0, 0.0, 6.0]])
    logits = np.array([[-30.0, -1.0, 0.0, 2.0, 40.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    J, dK = cost_and_dK(
        HEADS["sigmoid"], *(to_backend(backend, a, "float64") for a in (logits, Y)), None, xp
    )
    J_np, dK_np = cost_and_dK(HEADS["sigmoid"], logits, Y, None, np)
    assert float(J) == pytest.approx(float(J_np), rel=1e-14)
    np.testing.assert_allclose(to_numpy(dK), dK_np, rtol=1e-14, atol=1e-300)
    if backend.startswith("torch"):  # lift_fresh marks a tensor made from a Python number
        torch = torch_namespace()
        with torch.profiler.profile() as trace:
            relu.backward(dA, relu.forward(K, xp), None, xp)
            cost_and_dK(HEADS["sigmoid"], K, dA, None, xp)
        made = {event.name for event in trace.events()} & {"aten::lift_fresh", "aten::zeros"}
        assert not made, made
        import vectorlearn.core.backend as backend_module

        monkeypatch.setattr(backend_module, "_ZEROS", {})  # nothing kept yet: made below
        with torch.inference_mode():  # a zero kept from here would refuse autograd below
            relu.forward(to_backend(backend, K_np, "float64"), xp)
        K_grad = to_backend(backend, K_np[:, [0, 2]], "float64").requires_grad_()
        xp.sum(relu.forward(K_grad, xp)).backward()
        np.testing.assert_array_equal(to_numpy(K_grad.grad), [[0.0, 1.0]])
    zero = __import__("vectorlearn.core.backend", fromlist=["zero"]).zero(K_np, namespace(K_np))
    with pytest.raises(ValueError, match="read-only"):  # NumPy's shared zero stays zero
        zero[...] = 1.0


def test_torch_data_of_the_wanted_dtype_are_not_copied():
    from vectorlearn.estimators._data import check_inputs

    torch = torch_namespace()
    X, y = data()
    Xt = torch.asarray(X.astype(np.float32))
    checked, _ = check_inputs(MLPClassifier(), Xt, torch.asarray(y), reset=True)
    assert checked.data_ptr() == Xt.data_ptr()  # the caller's memory, not a second copy
    checked, _ = check_inputs(MLPClassifier(dtype="float64"), Xt, y, reset=True)
    assert checked.dtype == torch.float64  # a copy only to cast


@pytest.mark.parametrize("backend", BACKENDS)
def test_device_labels_of_partial_fits_and_many_classes_behave_as_on_the_host(backend, monkeypatch):
    import vectorlearn.estimators._data as data_module

    monkeypatch.setattr(data_module, "DEVICE_LABELS_FROM", 1)  # iris's 150 labels too
    X, y = data()
    # classes of another dtype than the labels, and labels that hold only some of them
    for labels, classes in ((y, [0, 1, 2, 3]), (y.astype(int), [0.0, 1.0, 2.0, 3.0])):
        for rows in (y >= 0, y == 0, y == 2, y > 0):
            Xb = to_backend(backend, X[rows], "float32")
            dtype = "int64" if labels.dtype.kind == "i" else "float32"
            models = [MLPClassifier((4,), max_iter=2, random_state=0) for _ in range(2)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                models[0].partial_fit(Xb, to_backend(backend, labels[rows], dtype), classes=classes)
                models[1].partial_fit(Xb, labels[rows], classes=classes)  # the host path
            for a, b in zip(weights(models[0]), weights(models[1])):
                np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    # scikit-learn warns of more distinct labels than half the examples: on either path, it
    # counts the examples (the device path checks the distinct labels alone)
    for labels, warned in ((np.arange(150) % 30, False), (np.arange(30) % 20, True)):
        Xb = to_backend(backend, X[: labels.shape[0]], "float32")
        for given in (labels, to_backend(backend, labels, "int64")):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                MLPClassifier((4,), max_iter=1).fit(Xb, given)
            many = [w for w in seen if "greater than 50%" in str(w.message)]
            assert bool(many) == warned
            assert all(w.filename == __file__ for w in many)  # points at the caller's fit


@pytest.mark.parametrize("backend", BACKENDS)
def test_few_labels_on_a_device_are_encoded_on_the_host(backend, monkeypatch):
    # JAX's eager unique and indexing took 7 ms a fit on breast cancer's 455 labels, where the
    # host takes under 1 ms: the device pays from DEVICE_LABELS_FROM labels on
    import vectorlearn.estimators._data as data_module

    calls = []
    encode = data_module.encode_device_labels
    monkeypatch.setattr(
        data_module, "encode_device_labels", lambda *a: calls.append(1) or encode(*a)
    )
    X, y = data()
    fit(
        MLPClassifier((4,), max_iter=2),
        to_backend(backend, X, "float32"),
        to_backend(backend, y, "int64"),
    )
    assert calls == []
    monkeypatch.setattr(data_module, "DEVICE_LABELS_FROM", y.shape[0])
    fit(
        MLPClassifier((4,), max_iter=2),
        to_backend(backend, X, "float32"),
        to_backend(backend, y, "int64"),
    )
    assert calls == [1]
