"""The user-facing `Tensor`: an array with a gradient and a link to the op that made it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy

from autocompyute import _engine, engine_setup
from autocompyute.autograd.callbacks import backward_pass
from autocompyute.autograd.functional import seed_gradient
from autocompyute.autograd.hooks import (
    RemovableHandle,
    register_hook,
    register_post_accumulate_grad_hook,
)
from autocompyute.autograd.op import op_name, wrap
from autocompyute.backend import (
    Device,
    DeviceLike,
    device_of,
)
from autocompyute.conversion import to_array
from autocompyute.dtypes import default_float
from autocompyute.ops import (
    assignment,
    binary,
    cast,
    comparison,
    creation,
    indexing,
    inplace,
    linalg,
    logical,
    movement,
    reduce,
    sampling,
    scan,
    shapes,
    sorting,
    unary,
)
from autocompyute.ops.promotion import as_tensor

__all__ = ["Tensor", "as_tensor"]

_ndarray = numpy.ndarray
_SCALAR_TYPES = (int, float, bool)


class Tensor(_engine.TensorCore):
    """An n-dimensional array that records the operations applied to it for backpropagation.

    Args:
        data: array-like values (nested lists, scalars, NumPy or CuPy arrays; arrays are used
            without copying when dtype and device already match).
        dtype: element type; defaults to float32 for float data, int64 for int data.
        device: `"cpu"` or `"cuda[:N]"`; defaults to where `data` lives.
        req_grad: whether to compute gradients for this tensor (float dtypes only).
        label: optional name shown in graph drawings.

    Attributes:
        data: the ndarray holding the values.
        grad: gradient array after `backward()` (leaf tensors), else None.
        ctx: the `Op` that produced this tensor (None for leaves).
        src: the tensors this one was computed from.
        req_grad: whether gradients flow to or through this tensor.

    >>> Tensor([[1.0, 2.0]])
    Tensor([[1.0000, 2.0000]], dtype=float32, device=cpu)
    """

    __slots__ = ()

    # NumPy arrays and scalars on the left of an operator defer to the tensor's reflected method,
    # so `numpy.float32(2) * x` stays in the graph.
    __array_ufunc__ = None

    def __init__(
        self,
        data: Any,
        dtype: Any = None,
        device: DeviceLike | None = None,
        req_grad: bool = False,
        label: str | None = None,
    ) -> None:
        self.data = to_array(data, dtype, device)
        self.label = label
        if req_grad:
            self.req_grad = True

    # ------------------------------------------------------------------ properties

    @property
    def src(self) -> tuple[Tensor, ...]:
        """The inputs of the op that made this tensor (constants as tensors); () for leaves."""
        ctx = self.ctx
        if ctx is None or ctx.parents is None:
            return ()
        dtype = self.data.dtype
        return tuple(
            p if isinstance(p, Tensor) else Tensor(numpy.asarray(p, dtype=dtype))
            for p in ctx.parents
            if isinstance(p, (Tensor, *_SCALAR_TYPES))
        )

    @property
    def grad_fn(self) -> Any:
        """Alias of `ctx` (PyTorch's name)."""
        return self.ctx

    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dim."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of dims."""
        return self.data.ndim

    def size(self, dim: int | None = None) -> Any:
        """The shape (a tuple), or the size of one dim (PyTorch's form; the original's `.size`
        property, the number of elements, is `numel()` now)."""
        return shapes.size_of(self.data.shape, dim)

    def numel(self) -> int:
        """The number of elements."""
        return int(self.data.size)

    nelement = numel

    def dim(self) -> int:
        """The number of dims (as `ndim`)."""
        return int(self.data.ndim)

    @property
    def device(self) -> Device:
        """Where the data lives (`cpu` or `cuda:N`)."""
        return device_of(self.data)

    @property
    def T(self) -> Tensor:
        """The tensor with its dims reversed."""
        return self.transpose()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield self[i]

    def __repr__(self) -> str:
        body = numpy.array2string(
            numpy.asarray(self.as_numpy()),
            precision=4,
            separator=", ",
            prefix="Tensor(",
            floatmode="fixed",
        )
        extra = ""
        if self.ctx is not None:
            extra = f", grad_fn={op_name(self.ctx)}"
        elif self.req_grad:
            extra = ", req_grad=True"
        return f"Tensor({body}, dtype={self.dtype}, device={self.device}{extra})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickles the values, gradient and flags; the graph is not pickled (like detach()).
        return (_rebuild_tensor, (self.data, self.grad, self.req_grad, self.label))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __hash__(self) -> int:
        return id(self)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.item())

    # ------------------------------------------------------------------ autograd

    def backward(self, dy: Any = None, retain_graph: bool = False) -> None:
        """Computes the gradients of this tensor w.r.t. the leaf tensors that require grad.

        Args:
            dy: gradient w.r.t. this tensor (same shape); may be omitted for one-element tensors.
            retain_graph: keep the graph (and saved arrays) for another backward pass.
        """
        if not self.req_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had req_grad=True (or it ran under no_autograd_tracking)"
            )
        with backward_pass():
            _engine.run_backward(self, seed_gradient(self, dy, "backward()"), retain_graph)

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Registers `hook(grad)`, called with this tensor's gradient (see autograd.hooks)."""
        return register_hook(self, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Registers `hook(tensor)` on a leaf, called once its `.grad` is final for a pass."""
        return register_post_accumulate_grad_hook(self, hook)

    def detach(self) -> Tensor:
        """Returns a tensor sharing this data but outside the graph (no grad)."""
        return wrap(self.data)

    def item(self) -> Any:
        """Returns the value of a one-element tensor as a Python scalar."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return self.data.item()

    def as_numpy(self) -> numpy.ndarray:
        """Returns the data as a NumPy array (copied from the GPU if needed)."""
        data = self.data
        return data if isinstance(data, _ndarray) else data.get()

    def tolist(self) -> Any:
        """Returns the values as (nested) Python lists, or a scalar for a 0-d tensor."""
        return self.as_numpy().tolist()

    @property
    def requires_grad(self) -> bool:
        """Alias of `req_grad` (PyTorch's name)."""
        return self.req_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.req_grad = value

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> numpy.ndarray:
        array = self.as_numpy()
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        return array.copy() if copy else array

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """This tensor on another device and/or with another dtype (itself when nothing changes).

        Takes a device, a dtype, both, or a tensor to match (`device=`, `dtype=` too).
        Gradients flow back across devices and float casts.
        """
        return cast.to(self, *args, **kwargs)

    def cpu(self) -> Tensor:
        """Returns this tensor on the CPU."""
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Tensor:
        """Returns this tensor on GPU `index`."""
        return self.to(f"cuda:{index}")

    # ------------------------------------------------------------------ arithmetic
    # + - * / @ ** and unary - are compiled (TensorCore); dtype decisions come back to
    # `_binary_fallback` below.

    def __pos__(self) -> Tensor:
        return self

    def add(self, other: Any) -> Tensor:
        """Elementwise `self + other` (broadcasting)."""
        return self + other

    def sub(self, other: Any) -> Tensor:
        """Elementwise `self - other` (broadcasting)."""
        return self - other

    def mul(self, other: Any) -> Tensor:
        """Elementwise `self * other` (broadcasting)."""
        return self * other

    def truediv(self, other: Any) -> Tensor:
        """Elementwise `self / other` (broadcasting)."""
        return self / other

    div = truediv

    def pow(self, exponent: Any) -> Tensor:
        """Elementwise `self ** exponent` (a scalar or a tensor)."""
        return self**exponent

    def matmul(self, other: Any) -> Tensor:
        """Matrix product with NumPy's rules (1-D, batched, broadcast batch dims)."""
        return self @ other

    dot = matmul

    def neg(self) -> Tensor:
        """Elementwise `-self`."""
        return -self

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum (ties split the gradient evenly)."""
        return binary.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum (ties split the gradient evenly)."""
        return binary.minimum(self, other)

    # ------------------------------------------------------------------ comparisons (no grad)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return comparison.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return comparison.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return comparison.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return comparison.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return comparison.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return comparison.ge(self, other)

    def eq(self, other: Any) -> Tensor:
        """Elementwise `self == other` (PyTorch's method name)."""
        return comparison.eq(self, other)

    def ne(self, other: Any) -> Tensor:
        """Elementwise `self != other`."""
        return comparison.ne(self, other)

    def lt(self, other: Any) -> Tensor:
        """Elementwise `self < other`."""
        return comparison.lt(self, other)

    def le(self, other: Any) -> Tensor:
        """Elementwise `self <= other`."""
        return comparison.le(self, other)

    def gt(self, other: Any) -> Tensor:
        """Elementwise `self > other`."""
        return comparison.gt(self, other)

    def ge(self, other: Any) -> Tensor:
        """Elementwise `self >= other`."""
        return comparison.ge(self, other)

    # Bitwise/logical operators on bool and integer tensors (masks), as in PyTorch.

    def __invert__(self) -> Tensor:
        return logical.bitwise("~", self)

    def __and__(self, other: Any) -> Tensor:
        return logical.bitwise("&", self, other)

    __rand__ = __and__

    def __or__(self, other: Any) -> Tensor:
        return logical.bitwise("|", self, other)

    __ror__ = __or__

    def __xor__(self, other: Any) -> Tensor:
        return logical.bitwise("^", self, other)

    __rxor__ = __xor__

    def any(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Whether any element is nonzero (over `dim`): a bool tensor."""
        return logical.any(self, dim, keepdim)

    def all(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Whether every element is nonzero (over `dim`): a bool tensor."""
        return logical.all(self, dim, keepdim)

    def isnan(self) -> Tensor:
        """Elementwise: is the value NaN."""
        return comparison.isnan(self)

    def allclose(self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, **kwargs: Any) -> bool:
        """Whether every element is close to `other`'s."""
        return comparison.allclose(self, other, rtol, atol, **kwargs)

    def equal(self, other: Tensor) -> bool:
        """Whether `other` has the same shape and elements."""
        return comparison.equal(self, other)

    # ------------------------------------------------------------------ unary

    # exp log sqrt tanh sigmoid sin cos abs relu are compiled (TensorCore).

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Clamps values to [min, max] (gradient 0 where clipped)."""
        return unary.clip(self, min, max)

    clamp = clip

    def tril(self, diagonal: int = 0) -> Tensor:
        """Keeps the lower triangle of the last two dims (offset by `diagonal`)."""
        return unary.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        """Keeps the upper triangle of the last two dims (offset by `diagonal`)."""
        return unary.triu(self, diagonal)

    # ------------------------------------------------------------------ reductions

    def sum(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        """Sum over `dim` (int, tuple or None for all dims); `keepdims=` and `dtype=` too."""
        return reduce.sum(self, dim, keepdim, **kwargs)

    def mean(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        """Mean over `dim` (int, tuple or None for all dims)."""
        return reduce.mean(self, dim, keepdim, **kwargs)

    def var(
        self, dim: Any = None, ddof: Any = None, keepdim: bool = False, **kwargs: Any
    ) -> Tensor:
        """Variance over `dim` (`correction=`/`unbiased=` as in PyTorch, or `ddof`; default 1)."""
        return reduce.var(self, dim, ddof, keepdim, **kwargs)

    def std(
        self, dim: Any = None, ddof: Any = None, keepdim: bool = False, **kwargs: Any
    ) -> Tensor:
        """Standard deviation over `dim` (arguments as for `var`)."""
        return reduce.std(self, dim, ddof, keepdim, **kwargs)

    def max(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
        """Maximum: of all elements; (values, indices) along an int `dim`; elementwise with a
        tensor. Tied maxima share the gradient evenly."""
        return reduce.max(self, dim, keepdim, **kwargs)

    def min(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Any:
        """Minimum (see `max`)."""
        return reduce.min(self, dim, keepdim, **kwargs)

    def amax(self, dim: Any = (), keepdim: bool = False, **kwargs: Any) -> Tensor:
        """Maximum over `dim` (int or tuple; all dims by default), without indices."""
        return reduce.amax(self, dim, keepdim, **kwargs)

    def amin(self, dim: Any = (), keepdim: bool = False, **kwargs: Any) -> Tensor:
        """Minimum over `dim` (int or tuple; all dims by default), without indices."""
        return reduce.amin(self, dim, keepdim, **kwargs)

    def argmax(self, dim: int | None = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        """Index of the maximum over `dim` (flattened when None); no gradient."""
        return reduce.argmax(self, dim, keepdim, **kwargs)

    def argmin(self, dim: int | None = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        """Index of the minimum over `dim` (flattened when None); no gradient."""
        return reduce.argmin(self, dim, keepdim, **kwargs)

    def logsumexp(self, dim: Any = None, keepdim: bool = False, **kwargs: Any) -> Tensor:
        """log(sum(exp(x))) over `dim`, computed stably."""
        return reduce.logsumexp(self, dim, keepdim, **kwargs)

    def cumsum(self, dim: int, dtype: Any = None) -> Tensor:
        """Running sum along `dim`."""
        return scan.cumsum(self, dim, dtype)

    def cumprod(self, dim: int, dtype: Any = None) -> Tensor:
        """Running product along `dim`."""
        return scan.cumprod(self, dim, dtype)

    # ------------------------------------------------------------------ sorting and selection

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """Sorted values and their indices along `dim`: (values, indices)."""
        return sorting.sort(self, dim, descending, stable)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """The indices that sort along `dim`."""
        return sorting.argsort(self, dim, descending, stable)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        """The k largest (or smallest) elements along `dim`: (values, indices)."""
        return sorting.topk(self, k, dim, largest, sorted)

    def gather(self, dim: int, index: Tensor) -> Tensor:
        """Elements picked along `dim` at the positions in `index` (torch.gather)."""
        return sorting.gather(self, dim, index)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        """The slices along `dim` at the positions in the 1-D `index`."""
        return sorting.index_select(self, dim, index)

    def uniform_(self, a: float = 0.0, b: float = 1.0, **kwargs: Any) -> Tensor:
        """Fills with uniform values from [a, b), in place (`generator=` optional)."""
        return sampling.uniform_(self, a, b, **kwargs)

    def normal_(self, mean: float = 0.0, std: float = 1.0, **kwargs: Any) -> Tensor:
        """Fills with normal values of `mean` and `std`, in place (`generator=` optional)."""
        return sampling.normal_(self, mean, std, **kwargs)

    def multinomial(self, num_samples: int, replacement: bool = False, **kwargs: Any) -> Tensor:
        """Category indices drawn with probabilities proportional to this tensor's rows."""
        return sampling.multinomial(self, num_samples, replacement, **kwargs)

    # ------------------------------------------------------------------ movement

    def view(self, *shape: Any) -> Tensor:
        """Returns the tensor with a new shape (one entry may be -1)."""
        return movement.view(self, *shape)

    reshape = view

    def transpose(self, dim1: int | None = None, dim2: int | None = None) -> Tensor:
        """Swaps `dim1` and `dim2`; with no arguments reverses all dims."""
        return movement.transpose(self, dim1, dim2)

    def permute(self, *dims: Any) -> Tensor:
        """Reorders dims: output dim i is input dim `dims[i]`."""
        return movement.permute(self, *dims)

    def squeeze(self, dim: int | Sequence[int] | None = None) -> Tensor:
        """Removes dims of size 1 (all, or those in `dim`)."""
        return movement.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        """Inserts a dim of size 1 at `dim`."""
        return movement.unsqueeze(self, dim)

    def expand(self, *shape: Any) -> Tensor:
        """Broadcasts the tensor to `shape` (-1 keeps a dim); no copy."""
        return movement.expand(self, *shape)

    def view_as(self, other: Tensor) -> Tensor:
        """This tensor with `other`'s shape."""
        return movement.view(self, other.shape)

    reshape_as = view_as

    def expand_as(self, other: Tensor) -> Tensor:
        """This tensor broadcast to `other`'s shape."""
        return movement.expand(self, other.shape)

    def t(self) -> Tensor:
        """The transpose of a matrix (0-D and 1-D tensors are returned as they are)."""
        return movement.transpose(self)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        """Rolls the elements by `shifts` along `dims` (wrapping around)."""
        return movement.roll(self, shifts, dims)

    def clone(self) -> Tensor:
        """A copy in new memory; gradients flow back to this tensor."""
        return movement.clone(self)

    def chunk(self, chunks: int, dim: int = 0) -> list[Tensor]:
        """Splits into `chunks` pieces of equal size along `dim` (the last may be smaller)."""
        return indexing.chunk(self, chunks, dim)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along `dim`."""
        return indexing.unbind(self, dim)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merges dims `start_dim`..`end_dim` into one."""
        return movement.flatten(self, start_dim, end_dim)

    # tensor[key] is compiled (TensorCore); keys that need conversion or checks come back to
    # `indexing.getitem`.

    def split(self, split_size: int | Sequence[int], dim: int = 0) -> list[Tensor]:
        """Splits into chunks of `split_size` (or the given sizes) along `dim`."""
        return indexing.split(self, split_size, dim)

    def repeat(self, *repeats: Any) -> Tensor:
        """Tiles the tensor `repeats[i]` times along dim i (like `numpy.tile`)."""
        return movement.tile(self, *repeats)

    tile = repeat

    def pad(self, padding: Sequence[Any], value: float = 0.0) -> Tensor:
        """Pads with `value`; `padding` is one (before, after) pair per dim, or per last dims."""
        return movement.pad(self, padding, value)

    def contiguous(self) -> Tensor:
        """Returns a tensor whose data is C-contiguous (itself when it already is)."""
        return movement.contiguous(self)

    def iter_dim(self, dim: int = 0) -> Iterator[Tensor]:
        """Yields the slices along `dim`."""
        return indexing.iter_dim(self, dim)

    def einsum(self, subscripts: str, *others: Tensor) -> Tensor:
        """einsum with this tensor as the first operand."""
        return linalg.einsum(subscripts, self, *others)

    # ------------------------------------------------------------------ in place
    # Each writes into this tensor's memory, bumps its version and returns the tensor itself.

    def __setitem__(self, key: Any, value: Any) -> None:
        inplace.setitem(self, key, value)

    def __iadd__(self, other: Any) -> Tensor:
        return inplace.add_(self, other)

    def __isub__(self, other: Any) -> Tensor:
        return inplace.sub_(self, other)

    def __imul__(self, other: Any) -> Tensor:
        return inplace.mul_(self, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return inplace.div_(self, other)

    def add_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """In place `self += alpha * other`."""
        return inplace.add_(self, other, alpha)

    def sub_(self, other: Any, *, alpha: float = 1) -> Tensor:
        """In place `self -= alpha * other`."""
        return inplace.sub_(self, other, alpha)

    def mul_(self, other: Any) -> Tensor:
        """In place `self *= other`."""
        return inplace.mul_(self, other)

    def div_(self, other: Any) -> Tensor:
        """In place `self /= other`."""
        return inplace.div_(self, other)

    def pow_(self, exponent: Any) -> Tensor:
        """In place `self **= exponent`."""
        return inplace.pow_(self, exponent)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Clamps to [min, max] in place."""
        return inplace.clamp_(self, min, max)

    clip_ = clamp_

    def neg_(self) -> Tensor:
        """In place `-self`."""
        return inplace.neg_(self)

    def abs_(self) -> Tensor:
        """In place absolute value."""
        return inplace.unary_(self, "abs")

    def exp_(self) -> Tensor:
        """In place e ** self."""
        return inplace.unary_(self, "exp")

    def log_(self) -> Tensor:
        """In place natural logarithm."""
        return inplace.unary_(self, "log")

    def sqrt_(self) -> Tensor:
        """In place square root."""
        return inplace.unary_(self, "sqrt")

    def tanh_(self) -> Tensor:
        """In place hyperbolic tangent."""
        return inplace.unary_(self, "tanh")

    def sigmoid_(self) -> Tensor:
        """In place logistic sigmoid."""
        return inplace.unary_(self, "sigmoid")

    def relu_(self) -> Tensor:
        """In place max(self, 0)."""
        return inplace.unary_(self, "relu")

    def fill_(self, value: Any) -> Tensor:
        """Sets every element to `value` (a number or a 0-d tensor)."""
        return inplace.fill_(self, value)

    def zero_(self) -> Tensor:
        """Sets every element to zero."""
        return inplace.zero_(self)

    def copy_(self, src: Any) -> Tensor:
        """Copies `src` into this tensor (broadcast, cast to its dtype, moved to its device)."""
        return inplace.copy_(self, src)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """Sets the elements where the bool `mask` is True to `value`, in place."""
        return inplace.masked_fill_(self, mask, value)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """Returns a copy with the elements where the bool `mask` is True set to `value`."""
        return assignment.masked_fill(self, mask, value)

    def detach_(self) -> Tensor:
        """Takes this tensor out of the graph in place (it becomes a leaf without grad)."""
        return inplace.detach_(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Sets `req_grad` and returns this tensor."""
        return inplace.requires_grad_(self, requires_grad)

    # ------------------------------------------------------------------ casting

    def as_type(self, dtype: Any) -> Tensor:
        """Returns the tensor cast to `dtype` (differentiable between float dtypes)."""
        return cast.as_type(self, dtype)

    astype = as_type

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.as_type(default_float)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.as_type("float64")

    def half(self) -> Tensor:
        """Cast to float16."""
        return self.as_type("float16")

    def int(self) -> Tensor:
        """Cast to int32."""
        return self.as_type("int32")

    def bool(self) -> Tensor:
        """Cast to bool."""
        return self.as_type("bool")

    def type_as(self, other: Tensor) -> Tensor:
        """Cast to `other`'s dtype."""
        return cast.type_as(self, other)

    # ------------------------------------------------------------------ new tensors like this one

    def new_zeros(self, *size: Any, **kwargs: Any) -> Tensor:
        """Zeros of `size` with this tensor's dtype and device (unless `dtype=`/`device=`)."""
        return creation.new_zeros(self, *size, **kwargs)

    def new_ones(self, *size: Any, **kwargs: Any) -> Tensor:
        """Ones of `size` with this tensor's dtype and device."""
        return creation.new_ones(self, *size, **kwargs)

    def new_empty(self, *size: Any, **kwargs: Any) -> Tensor:
        """An uninitialised tensor of `size` with this tensor's dtype and device."""
        return creation.new_empty(self, *size, **kwargs)

    def new_full(self, size: Any, fill_value: Any, **kwargs: Any) -> Tensor:
        """`fill_value` everywhere in `size`, with this tensor's dtype and device."""
        return creation.new_full(self, size, fill_value, **kwargs)

    def new_tensor(self, data: Any, **kwargs: Any) -> Tensor:
        """A copy of `data` with this tensor's dtype and device."""
        return creation.new_tensor(self, data, **kwargs)

    def long(self) -> Tensor:
        """Cast to int64."""
        return self.as_type("int64")

    # PyTorch's name; defined last so that `numpy` in the class body above is the module.
    numpy = as_numpy


engine_setup.install(Tensor)


def _rebuild_tensor(data: Any, grad: Any, req_grad: bool, label: Any) -> Tensor:
    tensor = wrap(data)
    tensor.req_grad = req_grad
    tensor.grad = grad
    tensor.label = label
    return tensor
