"""The compiled autograd engine: graph nodes, the apply path, the operators and backward.

What it holds:
- `TensorCore` and `OpNode`, the typed storage that `Tensor` and `Op` subclass (fields in
  _engine.pxd), and `IndexedGradient` (a gradient that is zero except at an index).
- The apply path (`apply`, `apply1`, `apply2`, `wrap`): run an op's forward on the inputs'
  arrays and wrap the result in a tensor, recording a node only when grad mode is on (a
  thread-local C flag) and an input requires grad; forward errors are re-raised naming the op.
- The operators `+ - * / @ ** -x` on tensors: same-dtype operands (and Python scalars that the
  tensor's dtype absorbs) are applied here; the rest goes to the Python fallback that does the
  dtype promotion. `tensor[key]` for slices and integer index tensors, other keys to Python.
- The backward pass (`run_backward`): an iterative walk that counts each node's consumers, fires
  a node once all have delivered, sums broadcast gradients down to each input's shape, checks
  their shape and dtype, accumulates into leaves and frees what it no longer needs.
- Included pieces: garbage-collector tracking (gc_tracking.pxi), thread safety
  (thread_safety.pxi), version counters of in-place ops (versions.pxi), the profiler's
  recording hooks (_profiling.pxi).

The engine knows no op class, dtype rule or `Tensor` class of its own: autocompyute/engine_setup.py
registers them. Arrays are opaque objects (NumPy or CuPy): the engine computes on them only to
add gradients and to sum broadcast dims away, through the arrays' own methods.
"""

cimport cython
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF, Py_REFCNT
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM

import weakref
from types import MappingProxyType

import numpy

cdef extern from *:
    """
    #if defined(_MSC_VER)
    static __declspec(thread) int autocompyute_grad_disabled = 0;
    #else
    static _Thread_local int autocompyute_grad_disabled = 0;
    #endif
    """
    int autocompyute_grad_disabled

cdef type _numpy_ndarray = numpy.ndarray
cdef object _numpy_module = numpy
cdef object _array_module_resolver = None  # callable(array) -> module, for non-NumPy arrays
cdef type _tensor_type = TensorCore
cdef long long _next_seq = 0
cdef unsigned long long _pass_id = 0
cdef tuple _empty_tuple = ()


include "gc_tracking.pxi"
include "thread_safety.pxi"
include "versions.pxi"


def set_array_module_resolver(resolver):
    """Registers the callable that maps a non-NumPy array (CuPy) to its array module."""
    global _array_module_resolver
    _array_module_resolver = resolver


def set_tensor_class(type cls):
    """Registers the Python `Tensor` class that apply() instantiates for op outputs."""
    global _tensor_type
    if not issubclass(cls, TensorCore):
        raise TypeError(f"set_tensor_class: {cls!r} is not a subclass of TensorCore")
    _tensor_type = cls


# ----------------------------------------------------------------------------------------------
# grad mode (thread-local, in C)


def is_grad_enabled():
    """Returns whether operations in this thread currently record a graph."""
    return autocompyute_grad_disabled == 0


def set_grad_enabled(bint enabled):
    """Turns graph recording on or off for this thread; returns the previous setting."""
    global autocompyute_grad_disabled
    cdef bint previous = autocompyute_grad_disabled == 0
    autocompyute_grad_disabled = 0 if enabled else 1
    return previous


# ----------------------------------------------------------------------------------------------
# arithmetic operators: the op classes and the Python fallback are registered by engine_setup.py

cdef type _Add = None
cdef type _Sub = None
cdef type _Mul = None
cdef type _Div = None
cdef type _MatMul = None
cdef type _Neg = None
cdef type _Pow = None
cdef object _binary_fallback = None  # (op_type, tensor, other, reflected) -> Tensor
cdef type _Index = None
cdef object _getitem_fallback = None  # (tensor, key) -> Tensor, for keys needing conversion


cdef _check_op_type(str where, object op_type):
    if not (isinstance(op_type, type) and issubclass(op_type, OpNode)):
        raise TypeError(f"{where}: expected an op class (a subclass of Op), got {op_type!r}")


cdef _check_callable(str where, object function):
    if not callable(function):
        raise TypeError(f"{where}: expected a callable, got {function!r}")


def register_arithmetic(type add, type sub, type mul, type div, type matmul, type neg,
                        type power, binary_fallback):
    """Registers the op classes behind + - * / @ unary- ** and the dtype-promoting fallback."""
    global _Add, _Sub, _Mul, _Div, _MatMul, _Neg, _Pow, _binary_fallback
    for op_type in (add, sub, mul, div, matmul, neg, power):
        _check_op_type("register_arithmetic", op_type)
    _check_callable("register_arithmetic", binary_fallback)
    _Add, _Sub, _Mul, _Div, _MatMul, _Neg, _Pow = add, sub, mul, div, matmul, neg, power
    _binary_fallback = binary_fallback


def register_indexing(type index, getitem_fallback):
    """Registers the op behind `tensor[key]` and the Python path for keys needing checks."""
    global _Index, _getitem_fallback
    _check_op_type("register_indexing", index)
    _check_callable("register_indexing", getitem_fallback)
    _Index, _getitem_fallback = index, getitem_fallback


cdef inline bint _all_slices(tuple key):
    for part in key:
        if type(part) is not slice:
            return False
    return True


cdef object _index(TensorCore tensor, object key):
    """`tensor[key]` for keys that need no conversion: slices, or an integer index tensor."""
    cdef type key_type = type(key)
    cdef tuple parts
    cdef bint accumulate = False
    if key_type is slice:
        parts = (key,)
    elif key_type is tuple and _all_slices(<tuple>key):
        parts = <tuple>key
    elif (isinstance(key, TensorCore) and type((<TensorCore>key)._data) is type(tensor._data)
          and _dtype_of(<TensorCore>key).kind in "iu" and tensor._data.ndim > 0):
        # NumPy/CuPy check the bounds of integer index arrays themselves.
        parts = ((<TensorCore>key)._data,)
        accumulate = True
    else:
        return _getitem_fallback(tensor, key)
    kwargs = {"key": parts, "accumulate": accumulate}
    cdef OpNode op = _new_op(_Index, (tensor,), kwargs)
    try:
        if _builtin_enabled:
            result = tensor._data[parts]  # Index.forward, run in C (_builtin_ops.pxi)
            if op.recording:
                op.builtin = B_INDEX
        else:
            result = op.forward(tensor._data, **kwargs)
    except (ValueError, TypeError, IndexError) as error:
        _raise_forward_error(_Index, (tensor._data,), error)
    return _finish(op, result)


cdef inline object _dtype_of(TensorCore tensor):
    if tensor._dtype is None:
        tensor._dtype = tensor._data.dtype
    return tensor._dtype


cdef inline bint _is_float(TensorCore tensor):
    return _dtype_of(tensor).kind == "f"


cdef object _binary(type op_type, TensorCore tensor, object other, bint reflected, bint floats):
    """Applies a binary op; operands needing a dtype decision go to the Python fallback.

    The fast path covers same-dtype tensors and Python scalars that the tensor's dtype absorbs.
    `floats` marks ops (true division) whose integer operands must become float first.
    """
    cdef type other_type = type(other)
    cdef bint fast
    if other_type is float:
        fast = _is_float(tensor)
    elif other_type is int:
        fast = not floats or _is_float(tensor)
    elif isinstance(other, TensorCore):
        fast = _dtype_of(tensor) is _dtype_of(<TensorCore>other) and (
            not floats or _is_float(tensor))
    else:
        fast = False
    if not fast:
        return _binary_fallback(op_type, tensor, other, reflected)
    if reflected:
        return _apply2(op_type, other, tensor)
    return _apply2(op_type, tensor, other)


# ----------------------------------------------------------------------------------------------
# nodes


# Nodes are GC types (cycles through user objects must be collectable) but the engine untracks
# the ones that cannot be on a cycle (gc_tracking.pxi). No tp_clear: the collector breaks such a
# cycle at the user's object, and the engine's invariants (parents matches needs_grad) hold.
@cython.no_gc_clear
cdef class TensorCore:
    """Storage of a tensor: its array, gradient, creating op and whether it requires grad."""

    @property
    def data(self):
        """The ndarray (NumPy or CuPy) holding the values."""
        return self._data

    @data.setter
    def data(self, value):
        if type(value) is not _numpy_ndarray:
            value = _checked_data(value)
        self._data = value
        self._dtype = None

    @property
    def dtype(self):
        """The element type (a NumPy dtype)."""
        return _dtype_of(self)

    @property
    def grad(self):
        """Gradient accumulated by backward (an array of the tensor's shape), or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            value = _checked_grad(self, value)
        self._grad = value
        self._grad_owned = False

    @property
    def req_grad(self):
        """Whether gradients are computed for this tensor."""
        return self._req_grad

    @req_grad.setter
    def req_grad(self, bint value):
        if value and not self._req_grad:
            if not _is_float(self):
                raise TypeError(
                    f"only floating point tensors can require gradients, got dtype "
                    f"{_dtype_of(self)}; convert first, e.g. x.float()"
                )
        if not value and self.ctx is not None:
            raise RuntimeError(
                "req_grad can only be switched off on leaf tensors; use detach() to get a "
                "tensor outside the graph"
            )
        self._req_grad = value

    @property
    def is_floating_point(self):
        """Whether the dtype is a float type (the only ones that carry gradients)."""
        return _is_float(self)

    @property
    def _version(self):
        """How many times this tensor's memory was modified in place (views share the count)."""
        return version_of(self._data)

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (user-created tensors, parameters)."""
        return self.ctx is None

    def __add__(self, other):
        return _binary(_Add, self, other, False, False)

    def __radd__(self, other):
        return _binary(_Add, self, other, True, False)

    def __sub__(self, other):
        return _binary(_Sub, self, other, False, False)

    def __rsub__(self, other):
        return _binary(_Sub, self, other, True, False)

    def __mul__(self, other):
        return _binary(_Mul, self, other, False, False)

    def __rmul__(self, other):
        return _binary(_Mul, self, other, True, False)

    def __truediv__(self, other):
        return _binary(_Div, self, other, False, True)

    def __rtruediv__(self, other):
        return _binary(_Div, self, other, True, True)

    def __matmul__(self, other):
        return _binary(_MatMul, self, other, False, False)

    def __rmatmul__(self, other):
        return _binary(_MatMul, self, other, True, False)

    def __neg__(self):
        return _apply1(_Neg, self)

    def __pow__(self, exponent, modulo):
        cdef type exponent_type = type(exponent)
        if modulo is not None:
            return NotImplemented
        if (exponent_type is int or exponent_type is float) and _is_float(self):
            if _builtin_code(_Pow) != B_PYTHON:
                return _builtin_pow(self, exponent)
            op = _new_op(_Pow, (self,), {"exp": exponent})
            return _finish(op, op.forward(self._data, exp=exponent))
        return _binary_fallback(_Pow, self, exponent, False)

    def __rpow__(self, base, modulo):
        if modulo is not None:
            return NotImplemented
        return _binary_fallback(_Pow, self, base, True)

    def __getitem__(self, key):
        return _index(self, key)

    # Elementwise functions compiled like the operators (integer tensors become float32 first).

    def exp(self):
        """Elementwise e ** x."""
        return _unary_method(_Exp, self, True)

    def log(self):
        """Elementwise natural logarithm."""
        return _unary_method(_Log, self, True)

    def sqrt(self):
        """Elementwise square root."""
        return _unary_method(_Sqrt, self, True)

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        return _unary_method(_Tanh, self, True)

    def sigmoid(self):
        """Elementwise logistic sigmoid."""
        return _unary_method(_Sigmoid, self, True)

    def sin(self):
        """Elementwise sine."""
        return _unary_method(_Sin, self, True)

    def cos(self):
        """Elementwise cosine."""
        return _unary_method(_Cos, self, True)

    def abs(self):
        """Elementwise absolute value."""
        return _unary_method(_Abs, self, False)

    def relu(self):
        """Elementwise max(x, 0)."""
        return _unary_method(_ReLU, self, False)

    def retain_grad(self):
        """Keeps this intermediate tensor's gradient in `.grad` during backward."""
        if self.ctx is None:
            return
        self.ctx.retained_output = weakref.ref(self)


cdef object _checked_data(object value):
    """Validates an array assigned to `.data`; NumPy subclasses (memmap) become plain arrays."""
    if isinstance(value, (_numpy_ndarray, numpy.generic)):
        return numpy.asarray(value)
    if isinstance(value, TensorCore) or not (hasattr(value, "shape") and hasattr(value, "dtype")):
        raise TypeError(
            f"data must be a NumPy or CuPy array, got {type(value).__name__}; convert it with "
            f"numpy.asarray (or assign tensor.data of another tensor)"
        )
    return value  # a CuPy (or other device) array


cdef object _checked_grad(TensorCore tensor, object value):
    """Validates an array assigned to `.grad`: same array type (device), dtype and shape."""
    if isinstance(value, TensorCore):
        value = (<TensorCore>value)._data
    data = tensor._data
    if type(value) is not type(data):
        if type(data) is _numpy_ndarray and isinstance(value, (numpy.generic, _numpy_ndarray)):
            value = numpy.asarray(value)
        else:
            raise TypeError(
                f"assigned grad must be a {type(data).__name__} like the tensor's data, got "
                f"{type(value).__name__}"
            )
    if value.dtype != data.dtype:
        raise TypeError(
            f"assigned grad has dtype {value.dtype}, but the tensor has dtype {data.dtype}"
        )
    if value.shape != data.shape:
        raise ValueError(
            f"assigned grad has shape {tuple(value.shape)}, but the tensor has shape "
            f"{tuple(data.shape)}"
        )
    return value


@cython.no_gc_clear
cdef class OpNode:
    """Storage of one recorded operation: its inputs, saved arrays and backward-pass state."""

    def save_for_backward(self, *arrays):
        """Keeps `arrays` for backward (dropped when the graph is freed). No-op without a graph."""
        if self.recording:
            self.saved = arrays
            self.saved_epoch = _inplace_epoch
            if not self.holds_objects and not _is_atomic(arrays, 0):
                _mark_holds_objects(self)

    def __setattr__(self, name, value):
        PyObject_GenericSetAttr(self, name, value)
        if not self.holds_objects and not _is_atomic(value, 0):
            _mark_holds_objects(self)

    @property
    def is_released(self):
        """True once backward has run through this node without retain_graph."""
        return self.released


cdef class IndexedGradient:
    """A gradient that is zero except at `key`, where it is `values`.

    An op's backward may return one instead of a full-size array (indexing does): the engine
    adds `values` into the input's gradient buffer at `key`, so taking many slices of a tensor
    costs memory traffic in proportion to the slices, not to the tensor times the slices.

    Args:
        key: an index into the input (as for `array[key]`).
        values: the gradient of the indexed elements, shaped like `input[key]`.
        accumulate: True when the key may repeat elements (integer index arrays); the values of
            repeated elements are then summed (`add.at`) instead of overwritten.
    """

    cdef public object key
    cdef public object values
    cdef public bint accumulate

    def __init__(self, key, values, bint accumulate=False):
        self.key = key
        self.values = values
        self.accumulate = accumulate


include "_profiling.pxi"
include "_hooks.pxi"


# ----------------------------------------------------------------------------------------------
# the apply path

# needs_grad tuples for one and two inputs, shared so that recording a node allocates none.
cdef tuple _NEEDS_1 = (True,)
cdef tuple _NEEDS_TT = (True, True)
cdef tuple _NEEDS_TF = (True, False)
cdef tuple _NEEDS_FT = (False, True)
cdef object _NO_KWARGS = MappingProxyType({})


cdef inline bint _requires(object item):
    return isinstance(item, TensorCore) and (<TensorCore>item)._req_grad


cdef inline object _array_of(object item):
    return (<TensorCore>item)._data if isinstance(item, TensorCore) else item


cdef object _array_module(type op_type, tuple inputs):
    """Returns the array module of the tensor inputs, checking they share one array type."""
    cdef type array_type = None
    cdef object first = None
    for item in inputs:
        if isinstance(item, TensorCore):
            value = (<TensorCore>item)._data
            if array_type is None:
                array_type = type(value)
                first = value
            elif type(value) is not array_type:
                _raise_device_mismatch(op_type, inputs)
    if array_type is None or array_type is _numpy_ndarray:
        return _numpy_module
    return _array_module_resolver(first)


cdef OpNode _new_op(type op_type, tuple inputs, object kwargs):
    """Creates the op node; records it in the graph if grad mode is on and an input requires it."""
    global _next_seq
    cdef OpNode op = <OpNode>_new_instance(op_type, True)
    cdef Py_ssize_t n = len(inputs)
    cdef Py_ssize_t i
    cdef bint first
    cdef bint second
    cdef bint any_requires = False
    op.kwargs = kwargs
    op.xp = _array_module(op_type, inputs)
    if _engine_watch:
        profiler_mark_start(&op.profile_mark, op.xp, inputs)
    if autocompyute_grad_disabled != 0:
        return op
    if n == 1:
        if not _requires(inputs[0]):
            return op
        op.needs_grad = _NEEDS_1
    elif n == 2:
        first = _requires(inputs[0])
        second = _requires(inputs[1])
        if first and second:
            op.needs_grad = _NEEDS_TT
        elif first:
            op.needs_grad = _NEEDS_TF
        elif second:
            op.needs_grad = _NEEDS_FT
        else:
            return op
    else:
        needs_grad = PyTuple_New(n)
        for i in range(n):
            value = _requires(inputs[i])
            any_requires |= <bint>value
            Py_INCREF(value)
            PyTuple_SET_ITEM(needs_grad, i, value)
        if not any_requires:
            return op
        op.needs_grad = needs_grad
    op.parents = inputs
    op.recording = True
    if _inputs_hold_objects(inputs) or (kwargs is not _NO_KWARGS and _kwargs_hold_objects(kwargs)):
        _mark_holds_objects(op)  # tracked now; _finish keeps its output tracked
    elif _only_tensors_and_atoms(inputs):
        # Such containers are on no cycle the collector could break (tensors of plain graphs
        # are untracked); left tracked, long graphs promote thousands of them into the oldest
        # generation, which makes full collections (of the whole heap) frequent.
        PyObject_GC_UnTrack(<void*>inputs)
        if kwargs is not _NO_KWARGS:
            _untrack_atomic_kwargs(kwargs)
    op.seq = _next_seq
    _next_seq += 1
    return op


cdef object _finish(OpNode op, object result):
    """Wraps forward's result in a tensor linked to `op` (when recording)."""
    if type(result) is not _numpy_ndarray:
        result = _as_array(result, op)
    if _engine_watch:
        _watch_forward_end(op, result)
    cdef bint tracked = op.recording and op.holds_objects
    cdef TensorCore out = <TensorCore>_new_instance(_tensor_type, not tracked)
    out._data = result
    if op.recording:
        out.ctx = op
        out._req_grad = True
        if tracked:
            _track(op)
    return out


cdef object _apply1(type op_type, object x):
    cdef int code = _builtin_code(op_type)
    if code != B_PYTHON and isinstance(x, TensorCore):
        return _builtin_apply1(code, op_type, x)
    return _python_apply1(op_type, x)


cdef object _apply2(type op_type, object x1, object x2):
    cdef int code = _builtin_code(op_type)
    if code != B_PYTHON:
        return _builtin_apply2(code, op_type, x1, x2)
    return _python_apply2(op_type, x1, x2)


def apply(type op_type, *inputs, **kwargs):
    """Runs `op_type.forward` on the arrays of `inputs` and wires the result into the graph.

    Inputs that are tensors contribute their `.data`; anything else (Python scalars, shapes) is
    passed to `forward` unchanged. A graph node is recorded only if grad mode is on and at least
    one input tensor requires grad.
    """
    cdef Py_ssize_t n = len(inputs)
    cdef Py_ssize_t i
    cdef int code
    if not issubclass(op_type, OpNode):
        _check_op_type("apply", op_type)
    if not kwargs:
        if n == 1:
            return _apply1(op_type, inputs[0])
        if n == 2:
            return _apply2(op_type, inputs[0], inputs[1])
    elif n == 1:
        code = _builtin_code(op_type)
        if code == B_SUM or code == B_MEAN:
            result = _builtin_reduce(code, op_type, inputs[0], kwargs)
            if result is not None:
                return result
    cdef OpNode op = _new_op(op_type, inputs, kwargs if kwargs else _NO_KWARGS)
    cdef tuple arrays = PyTuple_New(n)
    for i in range(n):
        value = _array_of(inputs[i])
        Py_INCREF(value)
        PyTuple_SET_ITEM(arrays, i, value)
    try:
        if kwargs:
            result = op.forward(*arrays, **kwargs)
        else:
            result = op.forward(*arrays)
    except (ValueError, TypeError, IndexError) as error:
        _raise_forward_error(op_type, arrays, error)
    return _finish(op, result)


def wrap(object data):
    """Returns a tensor (of the registered class) holding the array `data` as is, outside the graph.

    NumPy scalars become 0-d arrays; anything else is stored without a check or copy.
    """
    if type(data) is not _numpy_ndarray and isinstance(data, numpy.generic):
        data = numpy.asarray(data)
    cdef TensorCore out = <TensorCore>_new_instance(_tensor_type, True)
    out._data = data
    return out


def apply1(type op_type, object x):
    """apply() for a one-input op without keyword arguments (the fast path)."""
    if not issubclass(op_type, OpNode):
        _check_op_type("apply1", op_type)
    return _apply1(op_type, x)


def apply2(type op_type, object x1, object x2):
    """apply() for a two-input op without keyword arguments (the fast path)."""
    if not issubclass(op_type, OpNode):
        _check_op_type("apply2", op_type)
    return _apply2(op_type, x1, x2)


cdef _raise_forward_error(type op_type, tuple arrays, error):
    """Re-raises an error from inside forward (often NumPy's) with the op and input shapes on top."""
    name = op_type.__name__
    message = str(error)
    if message.lower().startswith(name.lower() + ":") or getattr(error, "_autocompyute", False):
        raise error
    shapes = " and ".join(
        f"{tuple(a.shape)} {a.dtype}" for a in arrays if hasattr(a, "shape") and hasattr(a, "dtype")
    )
    text = f"{name}: {message} (inputs: {shapes})"
    try:
        wrapped = type(error)(text)
    except Exception:  # an exception type whose constructor wants other arguments
        wrapped = next(kind for kind in (IndexError, TypeError, ValueError)
                       if isinstance(error, kind))(text)
    wrapped._autocompyute = True
    raise wrapped from error


cdef _raise_device_mismatch(type op_type, tuple inputs):
    kinds = ", ".join(
        f"input {i}: {'cpu' if isinstance((<TensorCore>x)._data, _numpy_ndarray) else 'cuda'}"
        for i, x in enumerate(inputs) if isinstance(x, TensorCore)
    )
    raise RuntimeError(
        f"{op_type.__name__}: expected all tensors on the same device, got {kinds}; "
        f"move them with .to(device)"
    )


cdef object _as_array(object result, OpNode op):
    if isinstance(result, numpy.generic):
        return numpy.asarray(result)
    if hasattr(result, "shape") and hasattr(result, "dtype") and not isinstance(result, TensorCore):
        return result  # a CuPy (or other) ndarray
    raise TypeError(
        f"{type(op).__name__}.forward must return an array, got {type(result).__name__}"
    )


# ----------------------------------------------------------------------------------------------
# the backward pass


cdef str _op_name(OpNode node):
    return type(node).__name__


cdef object _reduce_to_shape(object grad, tuple shape, OpNode node, Py_ssize_t index):
    """Sums the broadcast dimensions of `grad` away so that it has `shape`."""
    cdef tuple grad_shape = grad.shape
    if grad_shape == shape:
        return grad
    cdef Py_ssize_t grad_ndim = len(grad_shape)
    cdef Py_ssize_t ndim = len(shape)
    cdef Py_ssize_t lead = grad_ndim - ndim
    cdef Py_ssize_t i
    cdef list kept_axes = []
    if lead < 0:
        _raise_bad_shape(grad, shape, node, index)
    for i in range(ndim):
        if shape[i] == grad_shape[lead + i]:
            continue
        if shape[i] == 1:
            kept_axes.append(i)
        else:
            _raise_bad_shape(grad, shape, node, index)
    if lead > 0:
        grad = grad.sum(axis=tuple(range(lead)))
    if kept_axes:
        grad = grad.sum(axis=tuple(kept_axes), keepdims=True)
    if isinstance(grad, numpy.generic):  # NumPy sums down to a scalar for 0-d targets
        grad = numpy.asarray(grad)
    return grad


cdef _raise_bad_shape(object grad, tuple shape, OpNode node, Py_ssize_t index):
    raise ValueError(
        f"{_op_name(node)}.backward returned a gradient of shape {tuple(grad.shape)} for input "
        f"{index}, which has shape {shape} (and the gradient cannot be summed down to it)"
    )


cdef object _check_gradient(object grad, TensorCore target, OpNode node, Py_ssize_t index):
    """Validates one returned gradient against its input; un-broadcasts it."""
    cdef object data = target._data
    if grad is None:
        raise RuntimeError(
            f"{_op_name(node)}.backward returned None for input {index}, which requires a "
            f"gradient (needs_grad[{index}] is True)"
        )
    if type(grad) is not type(data):
        if isinstance(grad, numpy.generic) and type(data) is _numpy_ndarray:
            grad = numpy.asarray(grad)
        else:
            raise TypeError(
                f"{_op_name(node)}.backward returned a {type(grad).__name__} for input {index}, "
                f"expected a {type(data).__name__} (same array type as the input)"
            )
    grad_dtype = grad.dtype
    data_dtype = data.dtype
    if grad_dtype is not data_dtype and grad_dtype != data_dtype:
        raise TypeError(
            f"{_op_name(node)}.backward returned a {grad_dtype} gradient for input {index}, "
            f"which is {data_dtype}"
        )
    return _reduce_to_shape(grad, data.shape, node, index)


cdef inline bint _exclusively_ours(object grad, object returned):
    """True when `grad` is a fresh array that nothing outside the engine refers to.

    `returned` is what backward returned for this input. If it is `grad` itself, the references
    are: backward's result tuple, the caller's two locals; otherwise only the caller's local. More
    references mean someone else (another input's slot, saved arrays, the user) holds it. A view
    (`base` set) shares memory with another array and is never owned.
    """
    cdef Py_ssize_t expected = 3 if grad is returned else 1
    return Py_REFCNT(grad) <= expected and grad.base is None


cdef _deliver_to_leaf(TensorCore leaf, object grad, bint fresh):
    _lock_leaves()
    try:
        if leaf._grad is None:
            if not fresh:
                grad = grad.copy()
            leaf._grad = grad
            leaf._grad_owned = True
        elif leaf._grad_owned:
            leaf._grad += grad
        else:
            leaf._grad = _added(leaf._grad, grad)
            leaf._grad_owned = True
    finally:
        _unlock_leaves()


cdef _deliver_to_node(OpNode node, object grad, bint fresh):
    if node.grad_buffer is None:
        node.grad_buffer = grad
        node.buffer_owned = fresh
    elif node.buffer_owned:
        node.grad_buffer += grad
    else:
        node.grad_buffer = _added(node.grad_buffer, grad)
        node.buffer_owned = True


cdef inline object _added(object buffer, object grad):
    """buffer + grad as a new array (NumPy turns a sum of 0-d arrays into a scalar)."""
    result = buffer + grad
    if type(result) is not _numpy_ndarray and isinstance(result, numpy.generic):
        result = numpy.asarray(result)
    return result


cdef _scatter(TensorCore target, IndexedGradient indexed, OpNode node, Py_ssize_t index):
    """Adds an IndexedGradient into the gradient buffer of `target` (its node's, or its .grad)."""
    cdef object data = target._data
    cdef OpNode child = target.ctx
    values = indexed.values
    if isinstance(values, numpy.generic) and type(data) is _numpy_ndarray:
        values = numpy.asarray(values)  # the 0-d gradient of one element
    if type(values) is not type(data) or (values.dtype is not data.dtype
                                          and values.dtype != data.dtype):
        raise TypeError(
            f"{_op_name(node)}.backward returned an IndexedGradient for input {index} with "
            f"{type(values).__name__} values of dtype {getattr(values, 'dtype', None)}; the "
            f"input is a {type(data).__name__} of dtype {data.dtype}"
        )
    xp = _numpy_module if type(data) is _numpy_ndarray else _array_module_resolver(data)
    if child is None:
        _lock_leaves()
        try:
            _scatter_into(target, None, indexed, values, xp, node, index)
        finally:
            _unlock_leaves()
    else:
        _scatter_into(target, child, indexed, values, xp, node, index)


cdef _scatter_into(TensorCore target, OpNode child, IndexedGradient indexed, object values,
                   object xp, OpNode node, Py_ssize_t index):
    cdef object data = target._data
    cdef object buffer
    cdef bint owned
    if child is None:
        buffer, owned = target._grad, target._grad_owned
    else:
        buffer, owned = child.grad_buffer, child.buffer_owned
    if buffer is None and not indexed.accumulate and _permutes_all(indexed.key, data):
        # A key like [:, ::-1] selects every element once and is its own inverse: the gradient
        # is the values read through the same key (a view; nothing to fill or add).
        buffer, owned = values[indexed.key], False
        if child is None:
            target._grad, target._grad_owned = buffer, owned
        else:
            child.grad_buffer, child.buffer_owned = buffer, owned
        return
    cdef bint assign = buffer is None and not indexed.accumulate
    if buffer is None:
        buffer = xp.zeros(data.shape, dtype=data.dtype)
    elif not owned:
        buffer = buffer.copy()  # someone else may hold this array: never add into it
    try:
        if indexed.accumulate:
            xp.add.at(buffer, indexed.key, values)
        elif assign:
            buffer[indexed.key] = values  # into zeros: as adding, but -0.0 stays -0.0
        else:
            buffer[indexed.key] += values
    except (ValueError, IndexError) as error:
        raise ValueError(
            f"{_op_name(node)}.backward returned an IndexedGradient for input {index} that does "
            f"not fit its shape {tuple(data.shape)}: {error}"
        ) from error
    if child is None:
        target._grad, target._grad_owned = buffer, True
    else:
        child.grad_buffer, child.buffer_owned = buffer, True


cdef _raise_released(OpNode node):
    raise RuntimeError(
        f"trying to backward through the graph a second time: the graph of {_op_name(node)} "
        f"(and the arrays it saved) was freed by an earlier backward(). Call "
        f"backward(retain_graph=True) the first time if you need to backward again."
    )


cdef list _count_consumers(OpNode root):
    """Marks every node reachable from `root` and counts the gradient edges into each one."""
    global _pass_id
    _pass_id += 1
    cdef unsigned long long mark = _pass_id
    cdef list stack = [root]
    cdef list reached = []
    cdef OpNode node
    cdef OpNode child
    cdef tuple parents
    cdef tuple needs_grad
    cdef Py_ssize_t i
    cdef object parent
    if root.active_pass != 0:
        _raise_concurrent_pass(root)
    root.active_pass = mark
    reached.append(root)
    root.visit_mark = mark
    root.pending = 0
    root.grad_buffer = None
    try:
        while stack:
            node = <OpNode>stack.pop()
            if node.released:
                _raise_released(node)
            parents = node.parents
            needs_grad = node.needs_grad
            for i in range(len(parents)):
                if needs_grad[i] is not True:
                    continue
                parent = parents[i]
                child = _producer(<TensorCore>parent, node)
                if child is None:
                    if (<TensorCore>parent)._hooks is not None:
                        _count_hooked_leaf(<TensorCore>parent, mark)
                    continue
                if child.visit_mark != mark:
                    if child.active_pass != 0:
                        _raise_concurrent_pass(child)
                    child.active_pass = mark
                    reached.append(child)
                    child.visit_mark = mark
                    child.pending = 0
                    child.grad_buffer = None
                    child.buffer_owned = False
                    stack.append(child)
                child.pending += 1
    except BaseException:
        _release_claims(reached, mark)
        raise
    return reached


def run_backward(TensorCore root not None, object grad, bint retain_graph=False):
    """Backpropagates `grad` (an array shaped like `root`) through the graph that made `root`.

    Nodes fire in a deterministic topological order once all their consumers have delivered.
    Leaf tensors that require grad accumulate into `.grad`; without `retain_graph` each node
    drops its parents and saved arrays as soon as it has fired.
    """
    cdef OpNode root_node = root.ctx
    cdef OpNode node
    cdef OpNode child
    cdef TensorCore parent
    cdef tuple parents
    cdef tuple needs_grad
    cdef object grads
    cdef object node_grad
    cdef object parent_grad
    cdef object returned
    cdef object incoming
    cdef Py_ssize_t i
    cdef Py_ssize_t n_parents
    cdef bint fresh
    cdef list ready
    cdef list reached
    cdef ProfileMark profile_mark

    if root_node is None:
        if root._hooks is not None or autocompyute_capturing:
            _finish_leaf(root, grad, False)
        else:
            _deliver_to_leaf(root, grad, False)
        return
    if root_node.released:
        _raise_released(root_node)

    reached = _count_consumers(root_node)
    cdef unsigned long long mark = root_node.active_pass
    root_node.grad_buffer = grad
    root_node.buffer_owned = False
    ready = [root_node]
    try:
        while ready:
            node = <OpNode>ready.pop()
            node_grad = node.grad_buffer
            node.grad_buffer = None
            if node.tensor_hooks is not None or autocompyute_capturing:
                node_grad = _node_grad_ready(node, node_grad)
            if node.retained_output is not None:  # after the hooks, as in PyTorch
                _store_retained(node, node_grad)
            if node.saved_epoch < _inplace_epoch and node.saved:
                _check_saved_versions(node)
            if _engine_watch:
                _watch_backward_start(node, &profile_mark, node_grad)
                grads = _node_backward(node, node_grad)
                _watch_backward_end(node, &profile_mark, grads)
            else:
                grads = _node_backward(node, node_grad)
            # Built-in nodes pass the incoming gradient on unchanged in places (add, sub).
            incoming = node_grad if node.builtin != B_PYTHON else None
            node_grad = None
            parents = node.parents
            n_parents = len(parents)
            if type(grads) is not tuple:
                if n_parents == 1 and type(grads) is not list:
                    grads = (grads,)
                else:
                    grads = tuple(grads)
            if len(<tuple>grads) != n_parents:
                raise RuntimeError(
                    f"{_op_name(node)}.backward returned {len(<tuple>grads)} gradients, "
                    f"expected {n_parents} (one per input, None where not needed)"
                )
            needs_grad = node.needs_grad
            for i in range(n_parents):
                if needs_grad[i] is not True:
                    continue
                parent = <TensorCore>parents[i]
                returned = (<tuple>grads)[i]
                child = _producer(parent, node)
                if child is None and (parent._hooks is not None or autocompyute_capturing):
                    _deliver_returned_to_watched_leaf(parent, returned, node, i, mark)
                elif type(returned) is IndexedGradient:
                    _scatter(parent, <IndexedGradient>returned, node, i)
                else:
                    if node.builtin != B_PYTHON:
                        parent_grad = _builtin_checked(returned, parent, node, i)
                        fresh = returned is not incoming or parent_grad is not returned
                    else:
                        parent_grad = _check_gradient(returned, parent, node, i)
                        fresh = _exclusively_ours(parent_grad, returned)
                    if child is None:
                        _deliver_to_leaf(parent, parent_grad, fresh)
                    else:
                        _deliver_to_node(child, parent_grad, fresh)
                if child is not None:
                    child.pending -= 1
                    if child.pending == 0:
                        ready.append(child)
                parent_grad = None
                returned = None
            grads = None
            incoming = None
            if not retain_graph:
                node.parents = None
                node.saved = None
                node.released = True
            node.active_pass = 0
    except BaseException:
        _release_claims(reached, mark)
        raise


include "_builtin_ops.pxi"


cdef _store_retained(OpNode node, object grad):
    tensor = node.retained_output()
    if tensor is None:
        return
    cdef TensorCore out = <TensorCore>tensor
    if out._grad is None:
        out._grad = grad.copy()
    else:
        out._grad = _added(out._grad, grad)
    out._grad_owned = True
