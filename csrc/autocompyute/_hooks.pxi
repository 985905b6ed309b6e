# Included by _engine.pyx: tensor hooks, leaf post-accumulate hooks and gradient capture
# (autograd.grad). With no hook registered and no capture running, backward pays one `is None`
# test per node and per leaf edge.

@cython.final
cdef class TensorHooks:
    """The hooks registered on one tensor, and that tensor's state in the running backward pass.

    For a leaf, the gradients of one pass are summed here first; when the last one has arrived
    the grad hooks see the sum (and may replace it), it is added to `.grad`, and then the
    post-accumulate hooks run, so they see the final `.grad` of this pass.
    """

    cdef dict grad_hooks                # key -> hook(grad) -> replacement or None
    cdef dict post_hooks                # key -> hook(tensor), leaves only
    cdef unsigned long long mark        # backward pass that last counted this leaf
    cdef Py_ssize_t pending             # gradients still to arrive in that pass
    cdef object buffer                  # their sum so far, or None
    cdef bint owned                     # buffer was allocated by the engine
    cdef tuple shape                    # shape of the tensor, for the error messages

    def __cinit__(self):
        self.grad_hooks = {}
        self.post_hooks = {}

    def remove(self, long long key):
        """Removes the hook registered under `key` (no-op if it is gone already)."""
        self.grad_hooks.pop(key, None)
        self.post_hooks.pop(key, None)

    def __len__(self):
        return len(self.grad_hooks) + len(self.post_hooks)


cdef long long _next_hook_key = 0
# autograd.grad runs per thread: a C thread-local flag says whether this thread captures, and
# _captures[thread] holds (id(leaf or node) -> slot, the captured gradients by slot).
cdef extern from *:
    """
    #if defined(_MSC_VER)
    static __declspec(thread) int autocompyute_capturing = 0;
    #else
    static _Thread_local int autocompyute_capturing = 0;
    #endif
    """
    int autocompyute_capturing

from cpython.pythread cimport PyThread_get_thread_ident

cdef dict _captures = {}


def add_tensor_hook(TensorCore tensor not None, hook, bint post_accumulate=False):
    """Registers a grad hook (or a post-accumulate hook, leaves only) on `tensor`.

    Returns (holder, key): `holder.remove(key)` unregisters it.
    """
    global _next_hook_key
    if not callable(hook):
        raise TypeError(f"register_hook: expected a callable, got {type(hook).__name__}")
    if not tensor._req_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    cdef TensorHooks holder
    cdef OpNode node = tensor.ctx
    if post_accumulate and node is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if node is None:
        if tensor._hooks is None:
            tensor._hooks = TensorHooks()
        holder = <TensorHooks>tensor._hooks
    else:
        if node.tensor_hooks is None:
            node.tensor_hooks = TensorHooks()
        holder = <TensorHooks>node.tensor_hooks
        _track(node)  # the hook may refer back to the tensor: a cycle the collector must see
    _track(tensor)
    holder.shape = tuple(tensor._data.shape)
    _next_hook_key += 1
    if post_accumulate:
        holder.post_hooks[_next_hook_key] = hook
    else:
        holder.grad_hooks[_next_hook_key] = hook
    return holder, _next_hook_key


def is_pending_in_backward(OpNode node not None):
    """True while a running backward pass has reached `node` but not yet fired it."""
    return node.active_pass != 0


cdef object _run_grad_hooks(TensorHooks holder, object grad):
    """Calls the grad hooks in registration order; each sees the previous one's result."""
    for hook in list(holder.grad_hooks.values()):
        try:
            replaced = hook(grad)
        except Exception as error:
            error.add_note(
                f"(raised by the hook {_hook_name(hook)} registered with register_hook on a "
                f"tensor of shape {holder.shape})"
            )
            raise
        if replaced is None:
            continue
        replaced = getattr(replaced, "data", replaced) if isinstance(replaced, TensorCore) else (
            replaced)
        if type(replaced) is not type(grad):
            raise TypeError(
                f"register_hook: the hook {_hook_name(hook)} returned a "
                f"{type(replaced).__name__}; expected a {type(grad).__name__} (or a Tensor, "
                f"or None to keep the gradient)"
            )
        if replaced.shape != grad.shape:
            raise ValueError(
                f"register_hook: the hook {_hook_name(hook)} returned a gradient of shape "
                f"{tuple(replaced.shape)} for a tensor of shape {tuple(grad.shape)}"
            )
        if replaced.dtype != grad.dtype:
            raise TypeError(
                f"register_hook: the hook {_hook_name(hook)} returned a {replaced.dtype} "
                f"gradient for a {grad.dtype} tensor"
            )
        grad = replaced
    return grad


cdef str _hook_name(object hook):
    return getattr(hook, "__qualname__", None) or type(hook).__name__


cdef _count_hooked_leaf(TensorCore leaf, unsigned long long mark):
    cdef TensorHooks holder = <TensorHooks>leaf._hooks
    if holder.mark != mark:
        holder.mark = mark
        holder.pending = 0
        holder.buffer = None
        holder.owned = False
    holder.pending += 1


cdef _deliver_to_watched_leaf(TensorCore leaf, object grad, bint fresh, unsigned long long mark):
    """Delivers to a leaf with hooks, or any leaf while autograd.grad captures gradients."""
    cdef TensorHooks holder = <TensorHooks>leaf._hooks
    if holder is None or holder.mark != mark:
        _finish_leaf(leaf, grad, fresh)  # unhooked (captured) or not counted in this pass
        return
    if holder.buffer is None:
        holder.buffer = grad
        holder.owned = fresh
    elif holder.owned:
        holder.buffer += grad
    else:
        holder.buffer = holder.buffer + grad
        holder.owned = True
    holder.pending -= 1
    if holder.pending == 0:
        grad, fresh = holder.buffer, holder.owned
        holder.buffer = None
        holder.mark = 0
        _finish_leaf(leaf, grad, fresh)


cdef _deliver_returned_to_watched_leaf(TensorCore leaf, object returned, OpNode node,
                                       Py_ssize_t index, unsigned long long mark):
    """Checks what `node.backward` returned for input `index` and delivers it to `leaf`."""
    cdef TensorCore scratch
    if type(returned) is IndexedGradient:
        # spread out into a full array first: the pass buffer is summed before the hooks see it
        scratch = <TensorCore>_new_instance(TensorCore, True)
        scratch._data = leaf._data
        _scatter(scratch, <IndexedGradient>returned, node, index)
        _deliver_to_watched_leaf(leaf, scratch._grad, True, mark)
    else:
        _deliver_to_watched_leaf(leaf, _check_gradient(returned, leaf, node, index), False, mark)


cdef _finish_leaf(TensorCore leaf, object grad, bint fresh):
    """The leaf's gradient of this pass is complete: hooks, then .grad (or the capture)."""
    cdef TensorHooks holder = <TensorHooks>leaf._hooks
    cdef object slot = None
    if autocompyute_capturing:
        slot = (<dict>(<tuple>_captures[PyThread_get_thread_ident()])[0]).get(id(leaf))
        if slot is None:
            return  # autograd.grad leaves every other .grad alone
    if holder is not None and holder.grad_hooks:
        hooked = _run_grad_hooks(holder, grad)
        if hooked is not grad:
            grad, fresh = hooked, False
    if slot is not None:
        _add_captured(<Py_ssize_t>slot, grad)
        return
    _deliver_to_leaf(leaf, grad, fresh)
    if holder is not None and holder.post_hooks:
        for hook in list(holder.post_hooks.values()):
            try:
                hook(leaf)
            except Exception as error:
                error.add_note(
                    f"(raised by the hook {_hook_name(hook)} registered with "
                    f"register_post_accumulate_grad_hook on a tensor of shape {holder.shape})"
                )
                raise


cdef object _node_grad_ready(OpNode node, object grad):
    """A node's gradient is complete: its tensor's grad hooks run, autograd.grad captures it."""
    if node.tensor_hooks is not None and (<TensorHooks>node.tensor_hooks).grad_hooks:
        grad = _run_grad_hooks(<TensorHooks>node.tensor_hooks, grad)
    if autocompyute_capturing:
        slot = (<dict>(<tuple>_captures[PyThread_get_thread_ident()])[0]).get(id(node))
        if slot is not None:
            _add_captured(<Py_ssize_t>slot, grad)
    return grad


cdef _add_captured(Py_ssize_t slot, object grad):
    cdef list captured = (<tuple>_captures[PyThread_get_thread_ident()])[1]
    previous = captured[slot]
    captured[slot] = grad if previous is None else previous + grad


def run_backward_capturing(TensorCore root not None, object grad, bint retain_graph,
                           tuple inputs):
    """Backpropagates like `run_backward`, returning the gradients w.r.t. `inputs` (None where
    none arrived) instead of accumulating into any `.grad`."""
    global autocompyute_capturing
    cdef unsigned long thread = PyThread_get_thread_ident()
    cdef object previous = _captures.get(thread)
    cdef int was_capturing = autocompyute_capturing
    cdef Py_ssize_t i
    cdef dict capture = {}
    for i in range(len(inputs)):
        tensor = inputs[i]
        if not isinstance(tensor, TensorCore):
            raise TypeError(f"grad: inputs[{i}] is a {type(tensor).__name__}, expected a Tensor")
        node = (<TensorCore>tensor).ctx
        capture[id(tensor) if node is None else id(node)] = i
    cdef list captured = [None] * len(inputs)
    _captures[thread] = (capture, captured)
    autocompyute_capturing = 1
    try:
        run_backward(root, grad, retain_graph)
        return captured
    finally:
        autocompyute_capturing = was_capturing
        if previous is None:
            del _captures[thread]
        else:
            _captures[thread] = previous
