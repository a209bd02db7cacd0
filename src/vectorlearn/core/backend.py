"""Array namespaces: the one place that knows about concrete array libraries.

The core asks :func:`namespace` for ``xp`` and then uses only the array API standard. The
estimators use the rest of this module to keep data where the caller put it (NumPy, CuPy,
PyTorch on any device) and to hand results back in the caller's type.
"""

from __future__ import annotations

import sys

import array_api_compat
import array_api_compat.numpy as NUMPY
import numpy as np


def namespace(*arrays):
    """Return the array API namespace shared by ``arrays`` (NumPy gives its compat wrapper).

    Plain NumPy arrays, the common case, skip array-api-compat's general lookup (a few
    microseconds, which add up over the many small calls of a mini-batch step). SciPy sparse
    matrices count as NumPy: they live on the CPU, beside NumPy arrays.
    """
    if all(type(a) is np.ndarray for a in arrays):
        return NUMPY
    kind = type(arrays[0])
    one_type = all(type(a) is kind for a in arrays)
    if one_type and kind in _BY_TYPE:
        return _BY_TYPE[kind]  # arrays of one type seen before: the same namespace
    dense = [a for a in arrays if not is_sparse(a)]
    xp = NUMPY if not dense else array_api_compat.array_namespace(*dense)
    if one_type:
        _BY_TYPE[kind] = xp
    return xp


# The namespace of arrays of one type (a PyTorch tensor, a CuPy or JAX array), found once:
# array-api-compat's lookup, about 20 us for a step's arrays, repeats a handful of times a step
_BY_TYPE: dict[type, object] = {}


SPARSE_ON_CPU_ONLY = (
    "SciPy sparse input trains and predicts on the CPU with NumPy only (not on a GPU, not "
    "under Dask); use device='cpu', or convert it with X.toarray() first"
)


def is_sparse(x) -> bool:
    """True for SciPy sparse matrices and arrays (CSR, CSC, COO, ...). None can exist before
    SciPy's sparse module is imported, which this one leaves to those who use it: SciPy took
    a quarter of a second of every ``vectorlearn predict``."""
    if type(x) is np.ndarray:  # the common case, first: the core asks on every layer
        return False
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(x)


def device(x):
    """Return the device that array ``x`` lives on (``"cpu"`` for a SciPy sparse matrix)."""
    return "cpu" if is_sparse(x) else array_api_compat.device(x)


def zero(K, xp):
    """A 0-D zero of ``K``'s dtype on ``K``'s device, to compare or combine with ``K``.

    A Python ``0.0`` would not do: array-api-compat turns it into a PyTorch tensor by a copy
    from the host, which on a GPU waits for every kernel queued before it. A made zero costs a
    kernel on a GPU, so each is made once per array type, dtype and device and kept (NumPy's
    read-only); JAX's are made afresh (under ``jit`` they are values of the trace, which must
    not outlive it), and one made under ``torch.inference_mode`` is not kept (an inference
    tensor would refuse autograd afterwards).

    >>> zero(np.ones((2, 3), np.float32), NUMPY)
    array(0., dtype=float32)
    """
    if is_jax(K):
        return xp.zeros((), dtype=K.dtype)
    # the device by name: CuPy's devices compare equal but cannot be hashed
    key = (type(K), K.dtype, str(getattr(K, "device", "")))
    made = _ZEROS.get(key)
    if made is None:
        made = xp.zeros((), dtype=K.dtype, device=device(K))
        if array_api_compat.is_torch_array(K) and _torch_inference_mode():
            return made  # an inference tensor: used once, not kept
        if isinstance(made, np.ndarray):
            made.flags.writeable = False  # shared by every caller
        _ZEROS[key] = made
    return made


def _torch_inference_mode() -> bool:
    import torch  # imported already: a tensor was given

    return torch.is_inference_mode_enabled()


_ZEROS: dict[tuple, object] = {}  # (array type, dtype, device) -> 0-D zero: see zero()


def reshape(a, shape: tuple, xp):
    """``xp.reshape(a, shape)``; NumPy arrays by their own method, the same view, at a fifth of
    the cost (array-api-compat's wrapper first sorts out its ``copy`` argument: about 1.5 us,
    some fifteen times a mini-batch step).

    >>> reshape(np.arange(6.0), (2, 3), NUMPY).shape
    (2, 3)
    """
    return a.reshape(shape) if xp is NUMPY else xp.reshape(a, shape)


def like(a, x):
    """Return NumPy array ``a`` as an array of ``x``'s namespace, dtype and device."""
    return from_numpy(a, namespace(x), x.dtype, device(x))


def from_numpy(a, xp, dtype, dev=None):
    """NumPy array ``a`` as an array of namespace ``xp``, of ``dtype``, on ``dev``.

    JAX's ``asarray`` given a device takes 0.2 ms an array; the same move cast on the host and
    handed to ``jax.device_put`` takes 0.05 ms (the start of a network is six arrays, moved at
    every fit).
    """
    if array_api_compat.is_jax_namespace(xp):
        import jax  # imported already: xp is its namespace

        return jax.device_put(np.asarray(a, dtype=dtype), dev)
    return xp.asarray(np.asarray(a), dtype=dtype, device=dev)


def to_numpy(x) -> np.ndarray:
    """Return ``x`` (an array of any supported namespace, on any device) as a NumPy array."""
    if isinstance(x, np.ndarray):
        return x
    if array_api_compat.is_torch_array(x):
        return x.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if array_api_compat.is_dask_array(x):
        return np.asarray(x.compute())  # gathers: only for results, never for training data
    if array_api_compat.is_jax_array(x):
        return np.asarray(x)  # copies from any device; DLPack hands NumPy host buffers only
    return np.from_dlpack(x)


def take_rows(A, idx, xp):
    """``A[idx]``: the rows ``idx`` (k,) of ``A`` (m, n), with indices ``0 <= idx < m``.

    ``xp.take`` on PyTorch tensors (array-api-compat's) first maps negative indices, three more
    kernels on a GPU; indices that are never negative gather in one (``A[idx]``, PyTorch's
    general indexing, took three times as long on the CPU).
    """
    if array_api_compat.is_torch_array(A):
        return A.index_select(0, idx)  # (k, n): one gather kernel
    return xp.take(A, idx, axis=0)  # (k, n)


def is_numpy_like(x) -> bool:
    """True for what scikit-learn validates itself: NumPy arrays, SciPy sparse matrices, lists,
    pandas objects."""
    return isinstance(x, np.ndarray) or not array_api_compat.is_array_api_obj(x)


def is_jax(x) -> bool:
    """True for a JAX array (it never imports JAX: a JAX array means it is imported already)."""
    return array_api_compat.is_jax_array(x)


def is_dask(x) -> bool:
    return array_api_compat.is_dask_array(x)


def move(a, xp, dev=None, dtype=None):
    """Return array ``a`` (any namespace) as an ``xp`` array on ``dev``, cast to ``dtype``.

    A SciPy sparse ``a`` stays sparse (NumPy's namespace, on the CPU) with its dtype cast.
    """
    if is_sparse(a):
        if xp is not NUMPY:
            raise ValueError(SPARSE_ON_CPU_ONLY)
        return a if dtype is None or a.dtype == dtype else a.astype(numpy_dtype(dtype))
    if namespace(a) is not xp or (dev is not None and device(a) != dev):
        a = from_numpy(to_numpy(a), xp, None, dev)
    if dtype is not None and a.dtype != dtype:
        a = xp.astype(a, dtype)
    return a


def numpy_dtype(dtype) -> type:
    """The NumPy float type of any namespace's float dtype (``torch.float32`` -> ``np.float32``)."""
    return np.float32 if "float32" in str(dtype) else np.float64


def gpu_namespace():
    """``(xp, device)`` of an installed GPU backend (PyTorch with CUDA, else CuPy), or None."""
    try:
        import torch

        if torch.cuda.is_available():
            import array_api_compat.torch as xp_torch

            return xp_torch, torch.device("cuda")
    except ImportError:
        pass
    try:
        import cupy

        if cupy.cuda.runtime.getDeviceCount() > 0:
            import array_api_compat.cupy as xp_cupy

            return xp_cupy, None
    except Exception:  # no CuPy, or CuPy without a driver
        pass
    return None
