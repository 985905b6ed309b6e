# Included by _engine.pyx: the profiler's recording and anomaly mode, in C.
#
# While nothing watches (the usual case) the engine's only cost is one test of `_engine_watch`
# at each end of an op. While the profiler runs, every op appends one fixed-size C record to a
# growing buffer: no Python object is made per event until the results are read (as one bytes
# block that NumPy views as a structured array).

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_RawFree, PyMem_RawRealloc
from libc.stdint cimport int32_t, int64_t

cdef extern from *:
    """
    #if defined(_WIN32)
    #include <windows.h>
    static long long autocompyute_clock_ns(void) {
        static LARGE_INTEGER frequency;
        LARGE_INTEGER now;
        if (frequency.QuadPart == 0) QueryPerformanceFrequency(&frequency);
        QueryPerformanceCounter(&now);
        return (long long)(now.QuadPart / frequency.QuadPart) * 1000000000LL
            + (long long)(now.QuadPart % frequency.QuadPart) * 1000000000LL / frequency.QuadPart;
    }
    #else
    #include <time.h>
    static long long autocompyute_clock_ns(void) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (long long)now.tv_sec * 1000000000LL + (long long)now.tv_nsec;
    }
    #endif
    """
    long long autocompyute_clock_ns() nogil


# One recorded event; all fields 8- or 4-byte integers, so the layout has no padding and NumPy
# reads it with EVENT_FIELDS below. 56 bytes: a million events take 56 MB.
cdef struct ProfileEvent:
    int64_t start_ns     # monotonic clock at the start
    int64_t end_ns       # ... and at the end (0 while a scope is still open)
    int64_t nbytes       # bytes of the output array(s) (profile_memory), else 0
    int32_t name         # interned name: the op's class name or the scope's name
    int32_t parent       # index of the enclosing scope event in this recording, -1 at top level
    int32_t scope        # interned name of the scope the op was created in, -1 if none
    int32_t shapes       # interned input shapes and dtypes (record_shapes), -1 otherwise
    int32_t source       # interned user source line (with_stack), -1 otherwise
    int32_t gpu          # index of the op's CUDA event pair, -1 when it ran on the CPU
    int32_t kind         # EVENT_FORWARD, EVENT_BACKWARD or EVENT_SCOPE
    int32_t depth        # number of enclosing scopes

EVENT_FIELDS = [
    ("start_ns", "<i8"), ("end_ns", "<i8"), ("nbytes", "<i8"), ("name", "<i4"),
    ("parent", "<i4"), ("scope", "<i4"), ("shapes", "<i4"), ("source", "<i4"), ("gpu", "<i4"),
    ("kind", "<i4"), ("depth", "<i4"),
]

cdef enum:
    _EVENT_FORWARD = 0
    _EVENT_BACKWARD = 1
    _EVENT_SCOPE = 2

# Bits of _engine_watch: what is watching the engine right now.
cdef enum:
    _WATCH_PROFILE = 1        # record events
    _WATCH_SHAPES = 2         # ... with input shapes and dtypes
    _WATCH_MEMORY = 4         # ... with output bytes
    _WATCH_STACK = 8          # ... with the user's source line
    _WATCH_ANOMALY = 16       # check every forward and backward result for NaN/Inf
    _WATCH_GPU = 32           # time ops on CuPy arrays with CUDA events

EVENT_FORWARD = _EVENT_FORWARD
EVENT_BACKWARD = _EVENT_BACKWARD
EVENT_SCOPE = _EVENT_SCOPE
WATCH_PROFILE = _WATCH_PROFILE
WATCH_SHAPES = _WATCH_SHAPES
WATCH_MEMORY = _WATCH_MEMORY
WATCH_STACK = _WATCH_STACK
WATCH_ANOMALY = _WATCH_ANOMALY
WATCH_GPU = _WATCH_GPU
cdef int _engine_watch = 0

cdef ProfileEvent* _events = NULL
cdef Py_ssize_t _n_events = 0
cdef Py_ssize_t _events_capacity = 0
cdef int _open_scope = -1          # index of the innermost open scope event, -1 if none
cdef int _open_scope_name = -1     # its interned name
cdef int _open_depth = 0           # number of open scopes
cdef long long _recording_id = 0   # tells scope tokens of one recording from another's

cdef list _names = []              # interned names, by id (append-only over the process)
cdef dict _name_ids = {}           # key (an op class or a str) -> id
cdef object _source_locator = None  # () -> str: the user's source line calling into the library
cdef object _gpu_timer = None      # (index or -1) -> index: records a CUDA event (start, then end)


cdef int _intern(object key, object text) except -1:
    found = _name_ids.get(key)
    if found is not None:
        return <int>found
    cdef int ident = len(_names)
    _names.append(text)
    _name_ids[key] = ident
    return ident


cdef inline int _op_name_id(type op_type) except -1:
    found = _name_ids.get(op_type)
    if found is not None:
        return <int>found
    return _intern(op_type, op_type.__name__)


cdef int _intern_shapes(object items) except -1:
    if type(items) is not tuple:
        items = (items,)
    # The key holds shapes and dtype objects; the text is made once per distinct key.
    parts = []
    for item in items:
        if isinstance(item, TensorCore):
            item = (<TensorCore>item)._data
        if type(item) is _numpy_ndarray or (hasattr(item, "shape") and hasattr(item, "dtype")):
            parts.append(item.shape)
            parts.append(item.dtype)
        elif item is None or type(item) is bool or type(item) is int or type(item) is float:
            parts.append(())
            parts.append(type(item))
    key = ("shapes", *parts)
    found = _name_ids.get(key)
    if found is not None:
        return <int>found
    words = []
    for i in range(0, len(parts), 2):
        kind = parts[i + 1]
        words.append(f"{list(parts[i])} {kind.__name__ if isinstance(kind, type) else kind}")
    return _intern(key, ", ".join(words))


cdef int _intern_source() except -1:
    if _source_locator is None:
        return -1
    text = _source_locator()
    return _intern(("source", text), text)


cdef ProfileEvent* _new_event() except NULL:
    global _events, _events_capacity, _n_events
    cdef Py_ssize_t capacity
    cdef ProfileEvent* grown
    if _n_events == _events_capacity:
        capacity = 4096 if _events_capacity == 0 else _events_capacity * 2
        grown = <ProfileEvent*>PyMem_RawRealloc(_events, capacity * sizeof(ProfileEvent))
        if grown == NULL:
            raise MemoryError(f"profiler: cannot grow the event buffer to {capacity} events")
        _events = grown
        _events_capacity = capacity
    cdef ProfileEvent* event = &_events[_n_events]
    _n_events += 1
    return event


cdef inline long long profiler_clock_now() noexcept nogil:
    """Monotonic clock in nanoseconds (the one every profiler timestamp comes from)."""
    return autocompyute_clock_ns()


cdef int profiler_mark_start(ProfileMark* mark, object xp, object inputs) except -1:
    """Notes the start of an op in `mark`: call it only when `_engine_watch` is non-zero.

    Fills the start time, the enclosing scope, and, where asked for, the input shapes, the
    user's source line (with_stack, anomaly mode) and a CUDA start event (for non-NumPy `xp`).
    `inputs` are the op's inputs (a tuple of tensors, arrays or constants), or its incoming
    gradient (one array); they are only looked at for record_shapes.
    """
    cdef int watch = _engine_watch
    mark.scope = _open_scope_name
    mark.shapes = _intern_shapes(inputs) if watch & _WATCH_SHAPES else -1
    mark.source = _intern_source() if watch & (_WATCH_STACK | _WATCH_ANOMALY) else -1
    mark.gpu = -1
    if watch & _WATCH_GPU and xp is not _numpy_module and _gpu_timer is not None:
        mark.gpu = _gpu_timer(-1)
    mark.start_ns = autocompyute_clock_ns()
    return 0


cdef inline Py_ssize_t _nbytes_of(object outputs):
    cdef Py_ssize_t total = 0
    if type(outputs) is tuple or type(outputs) is list:
        for item in outputs:
            if type(item) is IndexedGradient:
                item = (<IndexedGradient>item).values
            if item is not None and hasattr(item, "nbytes"):
                total += item.nbytes
        return total
    return outputs.nbytes if hasattr(outputs, "nbytes") else 0


cdef int profiler_record_op(type op_type, int kind, ProfileMark* mark,
                            object outputs) except -1:
    """Appends one op event to the profiler's buffer (the single recording function).

    Call it right after an op's forward (`kind` EVENT_FORWARD, `outputs` the result array) or
    backward (EVENT_BACKWARD, `outputs` the returned gradients) ran, with the `mark` that
    `profiler_mark_start` filled before it; it does nothing unless the profiler is recording
    and the mark was taken. `op_type` is the op's class (its name is interned once).
    """
    cdef long long end_ns = autocompyute_clock_ns()
    cdef int watch = _engine_watch
    if not (watch & _WATCH_PROFILE) or mark.start_ns == 0:
        return 0
    cdef int name = _op_name_id(op_type)
    cdef ProfileEvent* event = _new_event()
    event.start_ns = mark.start_ns
    event.end_ns = end_ns
    event.nbytes = _nbytes_of(outputs) if watch & _WATCH_MEMORY else 0
    event.name = name
    event.parent = _open_scope
    event.scope = mark.scope
    event.shapes = mark.shapes
    event.source = mark.source
    event.gpu = -1
    if mark.gpu >= 0:
        event.gpu = _gpu_timer(mark.gpu)
    event.kind = kind
    event.depth = _open_depth
    return 0


# ----------------------------------------------------------------------------------------------
# anomaly mode


cdef inline bint _has_nonfinite(object array):
    if array is None or not hasattr(array, "dtype") or array.dtype.kind not in "fc":
        return False
    xp = _numpy_module if type(array) is _numpy_ndarray else _array_module_resolver(array)
    return not bool(xp.isfinite(array).all())


class AnomalyError(RuntimeError, FloatingPointError):
    """Raised in anomaly mode by the op whose result holds NaN or Inf (a RuntimeError, as in
    PyTorch, and a FloatingPointError)."""


cdef _raise_anomaly(OpNode op, str phase, str what):
    where = _names[op.profile_mark.source] if op.profile_mark.source >= 0 else "an unknown line"
    raise AnomalyError(
        f"detect_anomaly: {type(op).__name__} {phase} produced NaN or Inf in {what}; the op "
        f"was created at {where}"
    )


cdef int _check_forward_anomaly(OpNode op, object result) except -1:
    if _engine_watch & _WATCH_ANOMALY and _has_nonfinite(result):
        _raise_anomaly(op, "forward", "its output")
    return 0


cdef int _check_backward_anomaly(OpNode node, object grads) except -1:
    if not (_engine_watch & _WATCH_ANOMALY):
        return 0
    cdef Py_ssize_t i
    items = grads if type(grads) is tuple or type(grads) is list else (grads,)
    for i in range(len(items)):
        item = items[i]
        if type(item) is IndexedGradient:
            item = (<IndexedGradient>item).values
        if _has_nonfinite(item):
            _raise_anomaly(node, "backward", f"the gradient for input {i}")
    return 0


cdef inline int _watch_forward_end(OpNode op, object result) except -1:
    """The engine's one hook after a forward: records the event, checks for anomalies."""
    profiler_record_op(type(op), _EVENT_FORWARD, &op.profile_mark, result)
    _check_forward_anomaly(op, result)
    return 0


cdef int _watch_backward_start(OpNode node, ProfileMark* mark, object grad) except -1:
    """The engine's one hook before a node's backward: notes the start in `mark`.

    The event belongs to the scope (and source line) where the op was created, when known.
    """
    profiler_mark_start(mark, node.xp, grad)
    if node.profile_mark.start_ns != 0:
        mark.scope = node.profile_mark.scope
        mark.source = node.profile_mark.source
    return 0


cdef inline int _watch_backward_end(OpNode node, ProfileMark* mark, object grads) except -1:
    """The engine's one hook after a node's backward: records the event, checks for anomalies."""
    profiler_record_op(type(node), _EVENT_BACKWARD, mark, grads)
    _check_backward_anomaly(node, grads)
    return 0


# ----------------------------------------------------------------------------------------------
# Python interface (used by autocompyute.profiler and autograd.detect_anomaly)


def profiler_clock_ns():
    """The profiler's monotonic clock, in nanoseconds."""
    return autocompyute_clock_ns()


def watch_flags():
    """The WATCH_* bits now set (0 when nothing watches the engine)."""
    return _engine_watch


def set_watch_flags(int flags):
    """Sets the WATCH_* bits; returns the previous ones."""
    global _engine_watch
    cdef int previous = _engine_watch
    _engine_watch = flags
    return previous


def set_source_locator(locator):
    """Registers the callable that returns the user's current source line, as a string."""
    global _source_locator
    _source_locator = locator


def set_gpu_timer(timer):
    """Registers the callable that records CUDA events: timer(-1) -> start index,
    timer(start index) -> index of the event pair; None switches GPU timing off."""
    global _gpu_timer
    _gpu_timer = timer


def profiler_start():
    """Starts a new, empty recording (the watch flags are set separately)."""
    global _recording_id, _open_scope, _open_scope_name, _open_depth
    if _n_events or _events != NULL:
        _discard_events()
    _recording_id += 1
    _open_scope = -1
    _open_scope_name = -1
    _open_depth = 0


cdef _discard_events():
    global _events, _n_events, _events_capacity
    PyMem_RawFree(_events)
    _events = NULL
    _n_events = 0
    _events_capacity = 0


def profiler_take():
    """Ends the current recording and returns it as a `ProfileRecording` (events move, no copy)."""
    global _events, _n_events, _events_capacity, _recording_id
    cdef ProfileRecording recording = ProfileRecording.__new__(ProfileRecording)
    recording.events = _events
    recording.n_events = _n_events
    recording.names = _names
    _events = NULL
    _n_events = 0
    _events_capacity = 0
    _recording_id += 1
    return recording


def profiler_enter_scope(str name):
    """Opens a scope event named `name`; returns a token for `profiler_exit_scope` (-1 if off)."""
    global _open_scope, _open_scope_name, _open_depth
    if not (_engine_watch & _WATCH_PROFILE):
        return -1
    cdef int ident = _intern(name, name)
    cdef ProfileEvent* event = _new_event()
    event.name = ident
    event.parent = _open_scope
    event.scope = _open_scope_name
    event.shapes = -1
    event.source = -1
    event.gpu = -1
    event.kind = _EVENT_SCOPE
    event.nbytes = 0
    event.depth = _open_depth
    event.end_ns = 0
    _open_scope = <int>(_n_events - 1)
    _open_scope_name = ident
    _open_depth += 1
    event.start_ns = autocompyute_clock_ns()
    return (_recording_id << 32) | _open_scope


def profiler_exit_scope(long long token):
    """Closes the scope opened with `token` (and any still open inside it)."""
    global _open_scope, _open_scope_name, _open_depth
    cdef long long end_ns = autocompyute_clock_ns()
    if token < 0 or (token >> 32) != _recording_id:
        return
    cdef Py_ssize_t index = token & 0xFFFFFFFF
    if index >= _n_events:
        return
    cdef ProfileEvent* event = &_events[index]
    event.end_ns = end_ns
    _open_scope = event.parent
    _open_scope_name = event.scope
    _open_depth = event.depth


def profiler_calibrate(Py_ssize_t n):
    """Records `n` dummy op events and drops them again; returns the cost of one, in ns.

    Call it while recording (the watch flags decide what each event costs).
    """
    global _n_events
    if not (_engine_watch & _WATCH_PROFILE) or n <= 0:
        return 0.0
    cdef ProfileMark mark
    cdef Py_ssize_t kept = _n_events
    cdef Py_ssize_t i
    cdef tuple inputs = (None,)
    cdef long long start = autocompyute_clock_ns()
    for i in range(n):
        profiler_mark_start(&mark, _numpy_module, inputs)
        profiler_record_op(OpNode, _EVENT_FORWARD, &mark, None)
    cdef long long elapsed = autocompyute_clock_ns() - start
    _n_events = kept
    return elapsed / <double>n


@cython.final
cdef class ProfileRecording:
    """The events of one finished recording, in a C buffer owned by this object."""

    cdef ProfileEvent* events
    cdef Py_ssize_t n_events
    cdef list names

    def __dealloc__(self):
        PyMem_RawFree(self.events)
        self.events = NULL

    def __len__(self):
        return self.n_events

    @property
    def nbytes(self):
        """Bytes the events take in memory."""
        return self.n_events * sizeof(ProfileEvent)

    def raw(self):
        """The events as bytes, laid out as EVENT_FIELDS (one copy, no per-event objects)."""
        return PyBytes_FromStringAndSize(<char*>self.events, self.n_events * sizeof(ProfileEvent))

    def name(self, Py_ssize_t ident):
        """The interned name (op class, scope, shapes or source line) with id `ident`."""
        return self.names[ident]
