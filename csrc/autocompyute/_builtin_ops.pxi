# ----------------------------------------------------------------------------------------------
# built-in ops dispatched from C
#
# For the built-in ops whose forward and backward are a few ufunc calls, the engine calls the
# ufuncs of the inputs' array module itself and replays backward from the node's op code and
# saved arrays: no Python `forward`/`backward` frame, no kwargs mapping, no scalar conversion per
# call. The node is still an instance of the op's Python class (Add, Tanh, ...), whose readable
# `forward`/`backward` stay the reference: both paths save the same arrays, make the same ufunc
# calls in the same order and so agree bit for bit (tests/test_builtin_ops.py checks it).
# AUTOCOMPYUTE_REFERENCE_OPS=1 in the environment, or set_builtin_ops_enabled(False), makes the
# engine run the Python classes instead.

import os

cdef enum:
    B_PYTHON = 0  # not a built-in op: the node's Python backward runs
    B_ADD
    B_SUB
    B_MUL
    B_DIV
    B_NEG
    B_EXP
    B_LOG
    B_SQRT
    B_ABS
    B_TANH
    B_SIGMOID
    B_RELU
    B_SIN
    B_COS
    B_POW
    B_INDEX  # tensor[key] for the keys the engine handles itself (slices, index tensors)
    B_SUM
    B_MEAN

# Names under which the ops modules register their classes (register_builtin_ops).
cdef dict _BUILTIN_NAMES = {
    "add": B_ADD, "sub": B_SUB, "mul": B_MUL, "div": B_DIV, "neg": B_NEG, "exp": B_EXP,
    "log": B_LOG, "sqrt": B_SQRT, "abs": B_ABS, "tanh": B_TANH, "sigmoid": B_SIGMOID,
    "relu": B_RELU, "sin": B_SIN, "cos": B_COS, "pow": B_POW, "sum": B_SUM, "mean": B_MEAN,
}
cdef dict _builtin_codes = {}  # op class -> op code, filled by register_builtin_ops
cdef bint _builtin_enabled = os.environ.get("AUTOCOMPYUTE_REFERENCE_OPS", "0") in ("", "0")
cdef type _Exp = None
cdef type _Log = None
cdef type _Sqrt = None
cdef type _Abs = None
cdef type _Tanh = None
cdef type _Sigmoid = None
cdef type _ReLU = None
cdef type _Sin = None
cdef type _Cos = None


def register_builtin_ops(dict classes):
    """Registers the Python op classes that the engine runs in C, as {name: class}.

    Names: add sub mul div neg exp log sqrt abs tanh sigmoid relu sin cos pow sum mean.
    """
    global _Exp, _Log, _Sqrt, _Abs, _Tanh, _Sigmoid, _ReLU, _Sin, _Cos
    for name, cls in classes.items():
        if name not in _BUILTIN_NAMES:
            raise ValueError(f"register_builtin_ops: unknown built-in op name {name!r}")
        if not isinstance(cls, type) or not issubclass(cls, OpNode):
            raise TypeError(f"register_builtin_ops: {cls!r} is not an op class")
    for name, cls in classes.items():
        _builtin_codes[cls] = _BUILTIN_NAMES[name]
    _Exp = classes.get("exp", _Exp)
    _Log = classes.get("log", _Log)
    _Sqrt = classes.get("sqrt", _Sqrt)
    _Abs = classes.get("abs", _Abs)
    _Tanh = classes.get("tanh", _Tanh)
    _Sigmoid = classes.get("sigmoid", _Sigmoid)
    _ReLU = classes.get("relu", _ReLU)
    _Sin = classes.get("sin", _Sin)
    _Cos = classes.get("cos", _Cos)


def set_builtin_ops_enabled(bint enabled):
    """Runs built-in ops in C (True, the default) or through their Python classes (False).

    Returns the previous setting. The Python classes are the reference implementation; the
    switch exists for tests and for debugging an op with Python tools.
    """
    global _builtin_enabled
    cdef bint previous = _builtin_enabled
    _builtin_enabled = enabled
    return previous


def builtin_ops_enabled():
    """Whether built-in ops run in C (see set_builtin_ops_enabled)."""
    return _builtin_enabled


cdef inline int _builtin_code(type op_type):
    if not _builtin_enabled:
        return B_PYTHON
    code = _builtin_codes.get(op_type)
    return B_PYTHON if code is None else <int>code


@cython.final
cdef class _Kernels:
    """The ufuncs of one array module (NumPy or CuPy), looked up once."""

    cdef object add, subtract, multiply, divide, negative, exp, log, sqrt, absolute, sign
    cdef object tanh, sin, cos, maximum, greater, greater_equal, less, zeros_like, where
    cdef bint is_numpy  # Python scalars become cached 0-d NumPy arrays; CuPy takes them as is

    def __init__(self, xp):
        self.add, self.subtract, self.multiply = xp.add, xp.subtract, xp.multiply
        self.divide, self.negative, self.exp, self.log = xp.true_divide, xp.negative, xp.exp, xp.log
        self.sqrt, self.absolute, self.sign, self.tanh = xp.sqrt, xp.absolute, xp.sign, xp.tanh
        self.sin, self.cos, self.maximum, self.greater = xp.sin, xp.cos, xp.maximum, xp.greater
        self.greater_equal, self.less, self.zeros_like = xp.greater_equal, xp.less, xp.zeros_like
        self.where = xp.where
        self.is_numpy = xp is _numpy_module


cdef _Kernels _numpy_kernels = _Kernels(numpy)
cdef dict _other_kernels = {}  # array module -> _Kernels


cdef inline _Kernels _kernels_of(object xp):
    if xp is _numpy_module:
        return _numpy_kernels
    kernels = _other_kernels.get(xp)
    if kernels is None:
        kernels = _Kernels(xp)
        _other_kernels[xp] = kernels
    return <_Kernels>kernels


cdef inline bint _only_tensors_and_atoms(tuple inputs):
    for item in inputs:
        if not isinstance(item, TensorCore) and PyObject_IS_GC(item):
            return False
    return True


cdef extern from "Python.h":
    int PySlice_Unpack(object slice, Py_ssize_t* start, Py_ssize_t* stop,
                       Py_ssize_t* step) except -1
    Py_ssize_t PySlice_AdjustIndices(Py_ssize_t length, Py_ssize_t* start, Py_ssize_t* stop,
                                     Py_ssize_t step)


cdef bint _permutes_all(object key, object data) except -1:
    """Whether `data[key]` selects every element exactly once in an order that `key` undoes
    (every part a slice over a whole dim with step 1 or -1): a key that is its own inverse."""
    cdef Py_ssize_t start, stop, step, size, i
    if type(key) is not tuple:
        return False
    shape = data.shape
    if len(<tuple>key) > len(shape) or len(shape) == 0:  # 0-d arrays read back as scalars
        return False
    for i in range(len(<tuple>key)):
        part = (<tuple>key)[i]
        if type(part) is not slice:
            return False
        size = shape[i]
        PySlice_Unpack(part, &start, &stop, &step)
        if PySlice_AdjustIndices(size, &start, &stop, step) != size:
            return False
        if size > 1 and step != 1 and step != -1:
            return False
    return True


cdef _untrack_atomic(object value):
    """Takes an atomic value (see _is_atomic) and the tuples in it off the collector's list:
    none of them can be on a reference cycle. (Not slices: CPython's slice deallocator assumes
    they are tracked.)"""
    if type(value) is tuple:
        PyObject_GC_UnTrack(<void*>value)
        for item in <tuple>value:
            _untrack_atomic(item)


cdef _untrack_atomic_kwargs(object kwargs):
    """Untracks a node's keyword arguments (a dict that _kwargs_hold_objects found atomic)."""
    if type(kwargs) is not dict:
        return
    PyObject_GC_UnTrack(<void*>kwargs)
    for value in (<dict>kwargs).values():
        _untrack_atomic(value)


# ----------------------------------------------------------------------------------------------
# Python scalars as 0-d arrays of the tensor's dtype

cdef dict _scalar_cache = {}  # dtype -> {value: read-only 0-d array}
# The last cached conversion, found by identity (the scalar object is kept alive with it).
cdef object _last_scalar = None
cdef object _last_scalar_dtype = None
cdef object _last_scalar_array = None
cdef Py_ssize_t _SCALARS_PER_DTYPE = 256


cdef object _scalar_array(object value, object dtype):
    """`value` (a Python int or float) as a 0-d NumPy array of `dtype`, cached.

    The ufunc then runs the same loop as with the Python scalar (NumPy converts a Python scalar
    operand to the other operand's dtype) without converting it on every call. Zero is not
    cached (0.0 and -0.0 are equal keys with different bits) and NaN never matches a key.
    """
    cdef dict cache = _scalar_cache.get(dtype)
    if cache is None:
        cache = {}
        _scalar_cache[dtype] = cache
    array = cache.get(value)
    if array is not None:
        return array
    array = numpy.asarray(value, dtype=dtype)
    if value != 0 and value == value and len(cache) < _SCALARS_PER_DTYPE:
        array.flags.writeable = False
        cache[value] = array
    return array


cdef inline object _constant(_Kernels kernels, object value, object dtype):
    """A scalar constant of the engine's own formulas, in the form the array module takes."""
    return _scalar_array(value, dtype) if kernels.is_numpy else value


cdef object _scalar_operand(object value, TensorCore tensor):
    """The operand the ufunc gets for a Python scalar next to `tensor`, or None where the op
    must take the Python path (other constants, or scalars NumPy would not compute with in the
    tensor's dtype, such as a float next to an integer tensor or one out of its range).

    With a NumPy tensor the scalar becomes a 0-d array of the tensor's dtype: NumPy converts a
    Python scalar to the other operand's dtype in any case, so the result is the same. CuPy takes
    Python scalars as kernel arguments, so they pass through unchanged there.
    """
    global _last_scalar, _last_scalar_dtype, _last_scalar_array
    cdef type value_type = type(value)
    if value_type is not float and value_type is not int:
        return None
    if type(tensor._data) is not _numpy_ndarray:
        return value
    dtype = _dtype_of(tensor)
    if value is _last_scalar and dtype is _last_scalar_dtype:
        return _last_scalar_array  # a loop's literal: the same object call after call
    cdef str kind = dtype.kind
    if kind != "f" and (value_type is float or (kind != "i" and kind != "u")):
        return None
    try:
        array = _scalar_array(value, dtype)
    except (OverflowError, ValueError):
        return None
    if not array.flags.writeable:  # cached (so not zero or NaN): remember it by identity
        _last_scalar, _last_scalar_dtype, _last_scalar_array = value, dtype, array
    return array


# ----------------------------------------------------------------------------------------------
# forward


cdef object _builtin_apply2(int code, type op_type, object x1, object x2):
    """Forward of a built-in binary op (add, sub, mul, div); one input may be a Python scalar."""
    cdef OpNode op
    cdef _Kernels kernels
    cdef object a1
    cdef object a2
    if isinstance(x1, TensorCore):
        a1 = (<TensorCore>x1)._data
        if isinstance(x2, TensorCore):
            a2 = (<TensorCore>x2)._data
            # Mixed dtypes or array types take the Python path, whose checks report them.
            if (_dtype_of(<TensorCore>x1) is not _dtype_of(<TensorCore>x2)
                    or type(a1) is not type(a2)):
                return _python_apply2(op_type, x1, x2)
        else:
            a2 = _scalar_operand(x2, <TensorCore>x1)
            if a2 is None:
                return _python_apply2(op_type, x1, x2)
    elif isinstance(x2, TensorCore):
        a2 = (<TensorCore>x2)._data
        a1 = _scalar_operand(x1, <TensorCore>x2)
        if a1 is None:
            return _python_apply2(op_type, x1, x2)
    else:
        return _python_apply2(op_type, x1, x2)
    op = _new_op(op_type, (x1, x2), _NO_KWARGS)
    kernels = _kernels_of(op.xp)
    try:
        if code == B_ADD:
            result = kernels.add(a1, a2)
        elif code == B_SUB:
            result = kernels.subtract(a1, a2)
        elif code == B_MUL:
            result = kernels.multiply(a1, a2)
        else:
            result = kernels.divide(a1, a2)
    except (ValueError, TypeError, IndexError) as error:
        _raise_forward_error(op_type, (_array_of(x1), _array_of(x2)), error)
    if op.recording:
        op.builtin = code
        if code == B_MUL:
            # As Mul.forward: only what the needed gradients read.
            op.saved = (a1 if op.needs_grad[1] is True else None,
                        a2 if op.needs_grad[0] is True else None)
            op.saved_epoch = _inplace_epoch
        elif code == B_DIV:
            op.saved = (a1, a2)
            op.saved_epoch = _inplace_epoch
    return _finish(op, result)


cdef object _builtin_apply1(int code, type op_type, object x):
    """Forward of a built-in unary op; mirrors the op class's forward call for call."""
    cdef OpNode op = _new_op(op_type, (x,), _NO_KWARGS)
    cdef _Kernels kernels = _kernels_of(op.xp)
    cdef object a = _array_of(x)
    cdef object saved = None
    try:
        if code == B_NEG:
            result = kernels.negative(a)
        elif code == B_EXP:
            result = saved = kernels.exp(a)
        elif code == B_LOG:
            saved = a
            result = kernels.log(a)
        elif code == B_SQRT:
            result = saved = kernels.sqrt(a)
        elif code == B_ABS:
            saved = a
            result = kernels.absolute(a)
        elif code == B_TANH:
            result = saved = kernels.tanh(a)
        elif code == B_SIGMOID:
            result = saved = _sigmoid(kernels, a)
        elif code == B_RELU:
            result = saved = kernels.maximum(a, _constant(kernels, 0, a.dtype))
        elif code == B_SIN:
            saved = a
            result = kernels.sin(a)
        else:
            saved = a
            result = kernels.cos(a)
    except (ValueError, TypeError, IndexError) as error:
        _raise_forward_error(op_type, (a,), error)
    if op.recording:
        op.builtin = code
        if saved is not None:
            op.saved = (saved,)
            op.saved_epoch = _inplace_epoch
    return _finish(op, result)


cdef object _sigmoid(_Kernels kernels, object x):
    # The formula of unary.Sigmoid.forward (see there why), with its in-place steps in place
    # where the intermediate is an array (0-d inputs give scalars, updated out of place).
    zero = _constant(kernels, 0, x.dtype)
    exp_neg_abs = kernels.exp(kernels.negative(kernels.absolute(x)))
    out = kernels.multiply(exp_neg_abs, kernels.less(x, zero))
    denominator = kernels.add(_constant(kernels, 1, x.dtype), exp_neg_abs)
    if not isinstance(out, numpy.generic):
        kernels.add(out, kernels.greater_equal(x, zero), out)
        kernels.divide(out, denominator, out)
        return out
    out = kernels.add(out, kernels.greater_equal(x, zero))
    return kernels.divide(out, denominator)


cdef object _builtin_pow(TensorCore tensor, object exponent):
    """x ** exponent for a Python scalar exponent (Pow.forward: the exponent stays a Python
    scalar, whose small values NumPy's `**` maps to faster kernels)."""
    cdef OpNode op = _new_op(_Pow, (tensor,), {"exp": exponent})
    cdef object x = tensor._data
    try:
        result = x * x if exponent == 2 else x ** exponent
    except (ValueError, TypeError, IndexError) as error:
        _raise_forward_error(_Pow, (x,), error)
    if op.recording:
        op.builtin = B_POW
        op.saved = (x,)
        op.saved_epoch = _inplace_epoch
    return _finish(op, result)


cdef object _numpy_add_reduce = numpy.add.reduce


cdef object _builtin_reduce(int code, type op_type, object x, dict kwargs):
    """Forward of Sum/Mean (kwargs dims, keepdims) on a NumPy tensor, or None for the Python
    path (other arrays, other arguments, and the cases where Mean.forward calls x.mean).

    `add.reduce` is what ndarray.sum calls, without NumPy's Python-level wrapper frame.
    """
    cdef Py_ssize_t count = 1
    cdef Py_ssize_t ndim
    if not isinstance(x, TensorCore) or type((<TensorCore>x)._data) is not _numpy_ndarray:
        return None
    data = (<TensorCore>x)._data
    dims = kwargs.get("dims")
    keepdims = kwargs.get("keepdims", False)
    if (type(dims) is not tuple or type(keepdims) is not bool
            or len(kwargs) != 1 + ("keepdims" in kwargs)):
        return None
    shape = data.shape
    ndim = len(shape)
    for d in <tuple>dims:
        if type(d) is not int or not 0 <= <Py_ssize_t>d < ndim:
            return None
        count *= <Py_ssize_t>shape[d]
    dtype = _dtype_of(<TensorCore>x)
    if code == B_MEAN and (dtype.kind != "f" or dtype.itemsize < 4 or count == 0):
        return None
    cdef OpNode op = _new_op(op_type, (x,), kwargs)
    try:
        result = _numpy_add_reduce(data, dims, None, None, keepdims)
        if code == B_MEAN:
            # as Mean.forward: sum * (1 / count), the factor in the tensor's dtype
            result = _numpy_kernels.multiply(result, _scalar_array(1.0 / count, dtype))
    except (ValueError, TypeError, IndexError) as error:
        _raise_forward_error(op_type, (data,), error)
    if op.recording:
        op.builtin = code
        op.saved = (shape,)
        op.saved_epoch = _inplace_epoch
    return _finish(op, result)


cdef object _spread_reduced(OpNode node, object grad, bint mean):
    """Sum/Mean backward: the gradient of the reduced dims spread over them (a fresh array)."""
    shape = <tuple>node.saved[0]
    kwargs = node.kwargs
    dims = <tuple>kwargs["dims"]
    cdef Py_ssize_t count = 1
    if not kwargs.get("keepdims", False) and dims:
        kept = list(shape)
        for d in dims:
            kept[d] = 1
        grad = grad.reshape(tuple(kept))
    if mean:
        for d in dims:
            count *= <Py_ssize_t>shape[d]
        grad = _numpy_kernels.multiply(
            grad, _scalar_array(1.0 / (count if count > 1 else 1), grad.dtype))
    out = numpy.empty(shape, grad.dtype)
    out[...] = grad
    return out


cdef object _python_apply2(type op_type, object x1, object x2):
    """The Python-class path of _apply2 (the reference)."""
    cdef OpNode op = _new_op(op_type, (x1, x2), _NO_KWARGS)
    try:
        result = op.forward(_array_of(x1), _array_of(x2))
    except (ValueError, TypeError, IndexError) as error:
        _raise_forward_error(op_type, (_array_of(x1), _array_of(x2)), error)
    return _finish(op, result)


cdef object _python_apply1(type op_type, object x):
    """The Python-class path of _apply1 (the reference)."""
    cdef OpNode op = _new_op(op_type, (x,), _NO_KWARGS)
    try:
        result = op.forward(_array_of(x))
    except (ValueError, TypeError, IndexError) as error:
        _raise_forward_error(op_type, (_array_of(x),), error)
    return _finish(op, result)


cdef object _unary_method(type op_type, TensorCore tensor, bint floats):
    """Tensor.exp() and friends: integer tensors become float32 first where `floats`."""
    if floats and not _is_float(tensor):
        tensor = <TensorCore?>tensor.float()  # checked: float() is Python code
    return _apply1(op_type, tensor)


# ----------------------------------------------------------------------------------------------
# backward


cdef extern from *:
    """
    /* The leading fields of NumPy's PyArrayObject_fields (numpy/ndarraytypes.h), a layout NumPy
       has kept since 1.7 and in 2.x; read only for objects whose type is exactly ndarray. */
    typedef struct {
        PyObject_HEAD
        char *data;
        int nd;
        Py_ssize_t *dimensions;
    } autocompyute_ndarray_head;

    static int autocompyute_same_shape(PyObject *a, PyObject *b) {
        const autocompyute_ndarray_head *x = (const autocompyute_ndarray_head *)a;
        const autocompyute_ndarray_head *y = (const autocompyute_ndarray_head *)b;
        if (x->nd != y->nd) return 0;
        for (int i = 0; i < x->nd; i++) {
            if (x->dimensions[i] != y->dimensions[i]) return 0;
        }
        return 1;
    }
    """
    bint autocompyute_same_shape(object a, object b)


cdef inline bint _same_shape(object a, object b):
    if type(a) is _numpy_ndarray and type(b) is _numpy_ndarray:
        return autocompyute_same_shape(a, b)
    return a.shape == b.shape


cdef inline object _node_backward(OpNode node, object grad):
    """The gradients of a node's inputs: from its op code (built-in ops) or its backward."""
    if node.builtin != B_PYTHON:
        return _builtin_gradients(node, grad)
    return node.backward(grad)


cdef inline object _builtin_checked(object grad, TensorCore parent, OpNode node, Py_ssize_t i):
    """A built-in op's gradient for input `i`, shaped like it (the checks of _check_gradient
    hold by construction: the C forward only runs on inputs of one dtype and array type)."""
    if type(grad) is not _numpy_ndarray and isinstance(grad, numpy.generic):
        return numpy.asarray(grad)  # NumPy computes 0-d operands as scalars
    if _same_shape(grad, parent._data):
        return grad
    return _reduce_to_shape(grad, parent._data.shape, node, i)


cdef tuple _builtin_gradients(OpNode node, object grad):
    """Gradients of a built-in op's inputs (None where not needed), as its class's backward."""
    cdef int code = node.builtin
    cdef _Kernels kernels = _kernels_of(node.xp)
    cdef tuple needs_grad = node.needs_grad
    cdef tuple saved = node.saved
    cdef bint first
    cdef bint second
    if code <= B_DIV:
        first = needs_grad[0] is True
        second = needs_grad[1] is True
        if code == B_ADD:
            return (grad if first else None, grad if second else None)
        if code == B_SUB:
            return (grad if first else None, kernels.negative(grad) if second else None)
        if code == B_MUL:
            return (kernels.multiply(grad, saved[1]) if first else None,
                    kernels.multiply(grad, saved[0]) if second else None)
        grad_x1 = kernels.divide(grad, saved[1])
        grad_x2 = None
        if second:
            grad_x2 = kernels.divide(
                kernels.multiply(kernels.negative(grad_x1), saved[0]), saved[1])
        return (grad_x1 if first else None, grad_x2)
    if code == B_INDEX:
        kwargs = node.kwargs  # Index.backward: the engine adds grad into the input at key
        return (IndexedGradient(kwargs["key"], grad, kwargs["accumulate"]),)
    if code == B_SUM or code == B_MEAN:
        return (_spread_reduced(node, grad, code == B_MEAN),)
    if code == B_NEG:
        return (kernels.negative(grad),)
    if code == B_EXP:
        return (kernels.multiply(grad, saved[0]),)
    if code == B_LOG:
        return (kernels.divide(grad, saved[0]),)
    if code == B_SQRT:
        return (kernels.divide(kernels.multiply(grad, _constant(kernels, 0.5, grad.dtype)),
                               saved[0]),)
    if code == B_ABS:
        return (kernels.multiply(grad, kernels.sign(saved[0])),)
    kept = saved[0]
    if code == B_TANH:
        return (kernels.multiply(grad, kernels.subtract(
            _constant(kernels, 1, kept.dtype), kernels.multiply(kept, kept))),)
    if code == B_SIGMOID:
        return (kernels.multiply(kernels.multiply(grad, kept), kernels.subtract(
            _constant(kernels, 1, kept.dtype), kept)),)
    if code == B_RELU:
        # A select, not a product: NaN/inf in grad must not leak where the local gradient is 0.
        positive = kernels.greater(kept, _constant(kernels, 0, kept.dtype))
        return (kernels.where(positive, grad, _constant(kernels, 0, grad.dtype)),)
    if code == B_SIN:
        return (kernels.multiply(grad, kernels.cos(kept)),)
    if code == B_COS:
        return (kernels.multiply(kernels.negative(grad), kernels.sin(kept)),)
    if code == B_POW:
        return (_pow_backward(kernels, node, grad, kept),)
    raise AssertionError(f"built-in op code {code} has no backward")


cdef object _pow_backward(_Kernels kernels, OpNode node, object grad, object x):
    # Pow.backward, with the exponent a Python scalar as there.
    exponent = node.kwargs["exp"]
    if exponent == 0:
        return kernels.zeros_like(grad)
    if exponent == 1:
        return grad
    if exponent == 2:
        return grad * 2 * x
    grad_x = x ** (exponent - 1)
    grad_x *= exponent
    grad_x *= grad
    return grad_x
