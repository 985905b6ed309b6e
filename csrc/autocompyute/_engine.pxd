# Typed node storage of the autograd graph. The Python `Tensor` and `Op` classes subclass these,
# so the engine reads and writes their fields at C speed.


# What the profiler and anomaly mode note when an op starts (see _profiling.pxi).
cdef struct ProfileMark:
    long long start_ns               # monotonic clock when forward began; 0 when not watched
    int scope                        # interned name of the innermost profiler scope, -1 if none
    int shapes                       # interned input shapes and dtypes, -1 when not recorded
    int source                       # interned user source line that created the op, -1 if none
    int gpu                          # index of the CUDA start event, -1 when not on a GPU


cdef class TensorCore:
    cdef object _data                # ndarray (NumPy or CuPy) holding the values (`data`)
    cdef object _dtype               # cached _data.dtype, or None until first needed
    cdef object _grad                # accumulated gradient array, or None
    cdef bint _grad_owned            # the engine allocated _grad and may add into it in place
    cdef public OpNode ctx           # the op that produced this tensor; None for leaves
    cdef bint _req_grad              # gradients flow to (leaf) or through (non-leaf) this tensor
    cdef public object label         # optional name shown in graph drawings
    cdef object _hooks               # leaves: TensorHooks (grad and post-accumulate hooks) or None
    cdef object __weakref__


cdef class OpNode:
    # Read-only from Python: the engine indexes parents/needs_grad without checks.
    cdef readonly tuple parents      # inputs as given to apply: TensorCores or plain constants
    cdef readonly tuple saved        # arrays saved by forward for backward (save_for_backward)
    cdef readonly tuple needs_grad   # per input: whether backward must return its gradient
    cdef readonly object kwargs      # keyword arguments passed to forward (read-only mapping)
    cdef readonly object xp          # array module of the inputs (numpy or cupy)
    cdef readonly long long seq      # creation sequence number, increasing over the process
    cdef bint recording              # part of a graph (False under no-grad or constant inputs)
    cdef bint released               # backward ran without retain_graph and freed this node
    cdef object grad_buffer          # gradient w.r.t. the output, accumulated during backward
    cdef bint buffer_owned           # grad_buffer was allocated by the engine (safe to add in place)
    cdef Py_ssize_t pending          # consumers that have yet to deliver their gradient
    cdef unsigned long long visit_mark  # id of the backward pass that last reached this node
    cdef object retained_output      # weakref to the output tensor that called retain_grad()
    cdef bint holds_objects          # keeps user objects (or a node that does): GC-tracked
    cdef unsigned long long active_pass  # id of the backward pass using this node now, 0 if idle
    cdef object tensor_hooks         # TensorHooks of the output tensor (register_hook), or None
    cdef ProfileMark profile_mark    # profiler/anomaly notes taken when the op started
    cdef unsigned long long saved_epoch  # in-place modification epoch when `saved` was set
    cdef readonly OpNode previous    # in-place ops: the op that made the tensor before (or None)
    cdef int builtin                 # op code of a built-in op run in C (_builtin_ops.pxi); 0: Python
