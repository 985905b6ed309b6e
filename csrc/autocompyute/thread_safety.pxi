# Backward from several threads (included by _engine.pyx).
#
# Leaf gradients: array additions release the GIL, so two threads adding into one leaf's `.grad`
# would lose contributions. Every write of a leaf's gradient holds one engine-wide lock, taken
# without the GIL when contended (so the holder can get the GIL back to finish) and re-entrant
# (a finalizer running a backward inside the locked region must not deadlock).
#
# Shared nodes: a node's per-pass state (pending count, gradient buffer) lives on the node, so a
# retained graph cannot be backpropagated by two threads at once. Each pass claims the nodes it
# reaches before it runs any backward; finding a node claimed by a pass still running is an
# error raised before any gradient is written.

from cpython.pythread cimport (
    NOWAIT_LOCK,
    WAIT_LOCK,
    PyThread_acquire_lock,
    PyThread_allocate_lock,
    PyThread_get_thread_ident,
    PyThread_release_lock,
    PyThread_type_lock,
)

cdef PyThread_type_lock _leaf_lock = PyThread_allocate_lock()
cdef unsigned long _leaf_lock_owner = 0
cdef Py_ssize_t _leaf_lock_depth = 0
if _leaf_lock == NULL:
    raise MemoryError("autocompyute engine: cannot allocate the leaf-gradient lock")


cdef inline void _lock_leaves():
    global _leaf_lock_owner, _leaf_lock_depth
    cdef unsigned long me = PyThread_get_thread_ident()
    if _leaf_lock_depth > 0 and _leaf_lock_owner == me:
        _leaf_lock_depth += 1
        return
    if not PyThread_acquire_lock(_leaf_lock, NOWAIT_LOCK):
        with nogil:
            PyThread_acquire_lock(_leaf_lock, WAIT_LOCK)
    _leaf_lock_owner = me
    _leaf_lock_depth = 1


cdef inline void _unlock_leaves():
    global _leaf_lock_depth
    _leaf_lock_depth -= 1
    if _leaf_lock_depth == 0:
        PyThread_release_lock(_leaf_lock)


cdef _raise_concurrent_pass(OpNode node):
    raise RuntimeError(
        f"backward: the graph node {_op_name(node)} is being backpropagated by another "
        f"backward() that is still running (another thread, or a backward started from inside "
        f"this one); concurrent backward passes over one graph are not supported. No gradient "
        f"was written: wait for the other pass (e.g. with a lock) and call backward again."
    )


cdef _release_claims(list reached, unsigned long long mark):
    """Drops this pass's per-node state from the nodes it still holds (after an error)."""
    cdef OpNode node
    for item in reached:
        node = <OpNode>item
        if node.active_pass == mark:
            node.grad_buffer = None
            node.buffer_owned = False
            node.active_pass = 0
