"""Matrix products: matmul with NumPy's rules (1-D, batched, broadcast batch dims) and einsum."""

from __future__ import annotations

import math
import string
from typing import TYPE_CHECKING, Any

import numpy

from autocompyute.autograd.op import Op, apply
from autocompyute.ops.promotion import promote_all
from autocompyute.ops.shapes import varargs

if TYPE_CHECKING:
    from autocompyute.tensor import Tensor

__all__ = ["Einsum", "MatMul", "bmm", "einsum", "matmul", "mm"]


class MatMul(Op):
    """x1 @ x2 following `numpy.matmul` (1-D operands get a dim added and removed)."""

    def forward(self, x1: Any, x2: Any) -> Any:
        ndim1, ndim2 = x1.ndim, x2.ndim
        if ndim1 == 0 or ndim2 == 0:
            raise ValueError(
                f"matmul: both operands need at least 1 dim, got shapes {x1.shape} and {x2.shape}"
            )
        inner2 = x2.shape[-2] if ndim2 > 1 else x2.shape[0]
        if x1.shape[-1] != inner2:
            raise ValueError(f"matmul: shapes {x1.shape} and {x2.shape} are not aligned")
        try:
            out = x1 @ x2
        except ValueError:
            raise ValueError(
                f"matmul: the batch dims of shapes {x1.shape} and {x2.shape} do not broadcast"
            ) from None
        self.save_for_backward(x1, x2)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        x1, x2 = self.saved
        xp = self.xp
        if x1.ndim == 1 and x2.ndim == 1:
            return grad * x2, grad * x1
        needs_grad = self.needs_grad
        grad_x1 = grad_x2 = None
        if needs_grad[1] and x2.ndim == 2 and x1.ndim > 2 and x1.flags.c_contiguous:
            # A shared weight matrix: one big product instead of a stack of products that the
            # engine would then have to sum over the batch dims.
            rows = math.prod(x1.shape[:-1])
            grad_x2 = x1.reshape(rows, x1.shape[-1]).T @ grad.reshape(rows, grad.shape[-1])
            needs_grad = (needs_grad[0], False)
        # Treat 1-D operands as a row (x1) or a column (x2) and drop that dim again afterwards.
        matrix1 = x1[None, :] if x1.ndim == 1 else x1
        matrix2 = x2[:, None] if x2.ndim == 1 else x2
        if x1.ndim == 1:
            grad = xp.expand_dims(grad, -2)
        if x2.ndim == 1:
            grad = xp.expand_dims(grad, -1)
        if needs_grad[0]:
            grad_x1 = grad @ xp.swapaxes(matrix2, -1, -2)
            if x1.ndim == 1:
                grad_x1 = grad_x1[..., 0, :]
        if needs_grad[1]:
            grad_x2 = xp.swapaxes(matrix1, -1, -2) @ grad
            if x2.ndim == 1:
                grad_x2 = grad_x2[..., 0]
        return grad_x1, grad_x2


class Einsum(Op):
    """Einstein summation over explicit subscripts (prepared by `einsum`).

    `terms` holds one subscript string per operand (letters only: ellipses are already spelled
    out and broadcast size-1 dims removed, see `shapes`), `output` the output subscripts.
    `shapes[k]` is the shape operand k is viewed as (None: unchanged).
    """

    def forward(
        self,
        *operands: Any,
        terms: tuple[str, ...],
        output: str,
        shapes: tuple[tuple[int, ...] | None, ...],
    ) -> Any:
        views = tuple(
            x if shape is None else x.reshape(shape) for x, shape in zip(operands, shapes)
        )
        if self.needs_grad is not None:
            self.save_for_backward(tuple(x.shape for x in operands), views)
        return self.xp.einsum(f"{','.join(terms)}->{output}", *views, optimize=len(views) > 1)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        shapes, views = self.saved
        return tuple(
            self._operand_grad(index, grad, views).reshape(shapes[index]) if needed else None
            for index, needed in enumerate(self.needs_grad)
        )

    def _operand_grad(self, index: int, grad: Any, views: tuple[Any, ...]) -> Any:
        """d(sum(grad * out)) / d(operand `index`), shaped like its view."""
        xp = self.xp
        terms, output = self.kwargs["terms"], self.kwargs["output"]
        term = terms[index]
        target_shape = views[index].shape
        label_size = dict(zip(term, target_shape))
        unique = "".join(dict.fromkeys(term))
        other_terms = terms[:index] + terms[index + 1 :]
        others = views[:index] + views[index + 1 :]
        present = set(output).union(*other_terms)
        # Labels summed away in forward that only this operand carries come back by broadcasting.
        kept = "".join(label for label in unique if label in present)
        if other_terms or kept != output:
            subscripts = f"{','.join((output, *other_terms))}->{kept}"
            grad = xp.einsum(subscripts, grad, *others, optimize=len(others) > 0)
        if kept != unique:
            grad = grad.reshape(
                tuple(label_size[label] if label in kept else 1 for label in unique)
            )
            grad = xp.broadcast_to(grad, tuple(label_size[label] for label in unique))
        if unique != term:
            # A repeated label (a diagonal) gets the gradient on the diagonal only: write it
            # through a strided view of a zero array that walks the diagonal.
            full = xp.zeros(target_shape, dtype=grad.dtype)
            strides = tuple(
                sum(
                    stride
                    for position, stride in enumerate(full.strides)
                    if term[position] == label
                )
                for label in unique
            )
            diagonal = xp.lib.stride_tricks.as_strided(
                full, shape=tuple(label_size[label] for label in unique), strides=strides
            )
            diagonal[...] = grad
            grad = full
        return grad


_LABELS = frozenset(string.ascii_letters)


def einsum(subscripts: str, *tensors: Any) -> Tensor:
    """Einstein summation: products of the operands summed over the repeated subscripts.

    Supports NumPy's subscript language: one letter per dim, `...` for leading dims that
    broadcast across operands, repeated letters within one operand (diagonals, e.g. `"ii->i"`),
    and implicit output (no `->`: the letters used once, sorted, after the `...` dims). Dims of
    size 1 broadcast against the same letter of size n in another operand. Unlike NumPy, when
    an explicit output leaves out `...`, those dims are summed (as in PyTorch).

    Args:
        subscripts: e.g. `"ij,jk->ik"`, `"bij,bjk->bik"`, `"...ij,...jk"`, `"ii"`.
        *tensors: the operands (a single list or tuple of them also works). Operands of
            different dtypes are promoted like binary ops (an integer tensor takes the float
            dtype).

    Returns:
        The result, with one dim per output letter (and the broadcast `...` dims).

    Raises:
        ValueError: on malformed subscripts, the wrong number of operands, subscripts that do not
            match an operand's dims, or sizes that disagree.

    >>> import autocompyute as ac
    >>> a = ac.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> einsum("ij,jk->ik", a, a)
    Tensor([[ 7.0000, 10.0000],
            [15.0000, 22.0000]], dtype=float32, device=cpu)
    >>> einsum("ii", a)
    Tensor(5.0000, dtype=float32, device=cpu)
    """
    tensors = varargs(tensors)
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string, got {type(subscripts).__name__}")
    if not tensors:
        raise ValueError("einsum: needs at least one operand")
    operands = promote_all(tensors, "einsum")
    terms, output, shapes = _parse(subscripts, [x.data.shape for x in operands])
    return apply(Einsum, *operands, terms=terms, output=output, shapes=shapes)


def _parse(
    subscripts: str, shapes: list[tuple[int, ...]]
) -> tuple[tuple[str, ...], str, tuple[tuple[int, ...] | None, ...]]:
    """Spells the subscripts out for `Einsum`: explicit letters, no ellipsis, no broadcasting."""
    text = subscripts.replace(" ", "")
    if text.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} contain '->' more than once")
    inputs, arrow, requested = text.partition("->")
    raw_terms = inputs.split(",")
    if len(raw_terms) != len(shapes):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(raw_terms)} operand(s), but "
            f"{len(shapes)} tensor(s) were given"
        )
    # Split every term around its ellipsis and collect the shapes the ellipses stand for.
    pieces = [
        _split_term(term, f"operand {index}", subscripts) for index, term in enumerate(raw_terms)
    ]
    ellipsis_shapes = []
    for index, ((before, after, has_ellipsis), shape) in enumerate(zip(pieces, shapes)):
        named = len(before) + len(after)
        if len(shape) < named or (not has_ellipsis and len(shape) != named):
            raise ValueError(
                f"einsum: operand {index} has {len(shape)} dims (shape {shape}), but its "
                f"subscripts {raw_terms[index]!r} name {named}"
            )
        ellipsis_shapes.append(shape[len(before) : len(shape) - len(after)])
    try:
        broadcast = numpy.broadcast_shapes(*ellipsis_shapes)
    except ValueError:
        raise ValueError(
            f"einsum: the dims covered by '...' do not broadcast: "
            f"{' and '.join(str(s) for s in ellipsis_shapes)}"
        ) from None
    used = set(text)
    free = [label for label in string.ascii_letters if label not in used]
    if len(broadcast) > len(free):
        raise ValueError("einsum: too many dims for the 52 available subscript letters")
    ellipsis_labels = "".join(free[: len(broadcast)])
    terms = [
        before + ellipsis_labels[len(ellipsis_labels) - len(ellipsis_shape) :] + after
        for (before, after, _), ellipsis_shape in zip(pieces, ellipsis_shapes)
    ]
    sizes = _label_sizes(terms, shapes)
    output = _output(requested, arrow, raw_terms, ellipsis_labels, subscripts)
    # Size-1 dims that broadcast against a larger size elsewhere are dropped from that operand.
    new_terms: list[str] = []
    new_shapes: list[tuple[int, ...] | None] = []
    for term, shape in zip(terms, shapes):
        keep = [position for position, label in enumerate(term) if shape[position] == sizes[label]]
        if len(keep) == len(term):
            new_terms.append(term)
            new_shapes.append(None)
        else:
            new_terms.append("".join(term[position] for position in keep))
            new_shapes.append(tuple(shape[position] for position in keep))
    return tuple(new_terms), output, tuple(new_shapes)


def _split_term(term: str, where: str, subscripts: str) -> tuple[str, str, bool]:
    before, dots, after = term.partition("...")
    for part in (before, after):
        for label in part:
            if label not in _LABELS:
                raise ValueError(
                    f"einsum: invalid subscript {label!r} for {where} in {subscripts!r} "
                    f"(use letters a-z, A-Z and '...')"
                )
    return before, after, bool(dots)


def _label_sizes(terms: list[str], shapes: list[tuple[int, ...]]) -> dict[str, int]:
    """The size of each label after broadcasting; raises when two sizes disagree."""
    sizes: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    for index, (term, shape) in enumerate(zip(terms, shapes)):
        own: dict[str, int] = {}
        for label, size in zip(term, shape):
            if label in own and own[label] != size:
                raise ValueError(
                    f"einsum: subscript {label!r} is repeated in operand {index} with different "
                    f"sizes {own[label]} and {size} (shape {shape})"
                )
            own[label] = size
        for label, size in own.items():
            if label not in sizes or sizes[label] == 1:
                if label not in sizes or size != 1:
                    first_seen[label] = index
                    sizes[label] = size
            elif size not in (1, sizes[label]):
                raise ValueError(
                    f"einsum: subscript {label!r} has size {sizes[label]} in operand "
                    f"{first_seen[label]} but size {size} in operand {index}"
                )
    return sizes


def _output(
    requested: str, arrow: str, raw_terms: list[str], ellipsis_labels: str, subscripts: str
) -> str:
    named = "".join(raw_terms).replace(".", "")
    if not arrow:
        once = sorted(label for label in set(named) if named.count(label) == 1)
        return ellipsis_labels + "".join(once)
    before, after, has_ellipsis = _split_term(requested, "the output", subscripts)
    labels = before + after
    for label in labels:
        if label not in named:
            raise ValueError(
                f"einsum: output subscript {label!r} in {subscripts!r} does not appear in "
                f"the inputs"
            )
        if labels.count(label) > 1:
            raise ValueError(
                f"einsum: output subscript {label!r} appears more than once in {subscripts!r}"
            )
    return before + (ellipsis_labels if has_ellipsis else "") + after


def matmul(x: Any, other: Any) -> Tensor:
    """Matrix product with NumPy's (and PyTorch's) rules: 1-D, batched, broadcast batch dims."""
    return x @ other  # type: ignore[no-any-return]


def mm(x: Tensor, other: Tensor) -> Tensor:
    """Product of two matrices (both 2-D)."""
    _need_dims(x, other, 2, "mm")
    return x @ other  # type: ignore[no-any-return]


def bmm(x: Tensor, other: Tensor) -> Tensor:
    """Batched product of (b, n, m) and (b, m, p) tensors."""
    _need_dims(x, other, 3, "bmm")
    if x.data.shape[0] != other.data.shape[0]:
        raise RuntimeError(
            f"bmm: the batch sizes differ: {tuple(x.data.shape)} and {tuple(other.data.shape)}"
        )
    return x @ other  # type: ignore[no-any-return]


def _need_dims(x: Tensor, other: Tensor, ndim: int, name: str) -> None:
    for tensor in (x, other):
        if tensor.data.ndim != ndim:
            raise RuntimeError(
                f"{name}: expected {ndim}-D tensors, got shapes {tuple(x.data.shape)} and "
                f"{tuple(other.data.shape)}"
            )
