# Version counters: how often the memory of a tensor was modified in place.
#
# A counter belongs to the memory, not to one tensor: it is kept for the array that owns the
# memory (found through `.base`), so views, detached tensors and the tensor itself share it, as
# PyTorch's views share their base's counter. Only modified memory gets an entry, so the apply
# path pays nothing; a node records the global modification epoch when it saves arrays, and
# backward looks up the saved arrays only if anything was modified since.

cdef unsigned long long _inplace_epoch = 0  # bumped by every in-place modification
cdef dict _modified = {}  # id(owning array) -> [version, epoch of its last modification]


cdef inline object _owner(object array):
    """The array owning `array`'s memory (itself unless it is a view of another array)."""
    base = getattr(array, "base", None)
    while base is not None and type(base) is type(array):
        array = base
        base = array.base
    return array


cdef inline object _modification_entry(object array):
    return _modified.get(id(_owner(array)))


def mark_modified(array):
    """Records that `array`'s memory was written in place (bumps the version of its tensors)."""
    global _inplace_epoch
    owner = _owner(array)
    key = id(owner)
    _inplace_epoch += 1
    entry = _modified.get(key)
    if entry is None:
        entry = [0, 0]
        _modified[key] = entry
        try:
            # The entry must go with the memory, or a new array at the same address inherits it.
            weakref.finalize(owner, _modified.pop, key, None)
        except TypeError:  # an array type without weak references: keep the entry
            pass
    entry[0] += 1
    entry[1] = _inplace_epoch


def version_of(array):
    """How many in-place modifications `array`'s memory has had."""
    entry = _modification_entry(array)
    return 0 if entry is None else entry[0]


def rewire_inplace(TensorCore tensor, OpNode node):
    """Makes `tensor` the output of `node`, the op that computed its new values in place.

    The tensor's earlier consumers still reach its earlier history: `_producer` follows
    `node.previous` for consumers recorded before `node`.
    """
    node.previous = tensor.ctx
    tensor.ctx = node
    tensor._req_grad = True


cdef _check_saved_versions(OpNode node):
    """Raises if an array `node` saved for backward was modified in place after it was saved."""
    for index, array in enumerate(node.saved):
        if not hasattr(array, "shape") or not hasattr(array, "dtype"):
            continue
        entry = _modification_entry(array)
        if entry is not None and entry[1] > node.saved_epoch:
            name = type(node).__name__
            raise RuntimeError(
                f"{name}.backward: one of the arrays needed for the gradient (saved array "
                f"{index}, {array.dtype} of shape {tuple(array.shape)}) was modified by an "
                f"in-place operation after {name} saved it; it is at version {entry[0]}. Use "
                f"an out-of-place op (y = y + 1 instead of y += 1 or y.add_(1)), or .clone() "
                f"the tensor before modifying it."
            )


cdef inline OpNode _producer(TensorCore parent, OpNode consumer):
    """The op that made `parent` as `consumer` saw it (before later in-place ops on parent)."""
    cdef OpNode node = parent.ctx
    while node is not None and node.seq > consumer.seq:
        node = node.previous
    return node
