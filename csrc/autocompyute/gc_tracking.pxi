# Which graph nodes the cyclic garbage collector sees (included by _engine.pyx).
#
# Nodes form no reference cycles among themselves (outputs point at inputs, never back), so the
# engine keeps them out of the collector: its scans of large graphs otherwise cost more than
# small ops. A cycle can only close through an object the user handed to an op (a keyword
# argument, a Python attribute, a saved non-array) that refers back to a tensor downstream. Such
# an op is marked `holds_objects` and stays tracked, and so does every node computed from it
# (the mark passes to consumers), so that every node on such a cycle is visible to the collector.

from cpython.object cimport PyObject_GenericSetAttr

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void* obj)
    void PyObject_GC_Track(void* obj)
    int PyObject_GC_IsTracked(object obj)
    bint PyType_IS_GC(PyTypeObject* cls)
    bint PyObject_IS_GC(object obj)
    unsigned long Py_TPFLAGS_HEAPTYPE
    unsigned long PyType_GetFlags(PyTypeObject* cls)

# How deep _is_atomic looks into tuples and slices before assuming the worst.
cdef enum:
    _ATOMIC_DEPTH = 4

# Set once any node holds user objects: until then no input can pass the mark on, and recording
# an op skips the look at its inputs.
cdef bint _objects_held = False


cdef inline object _new_instance(type cls, bint untrack):
    """Allocates an instance of `cls` without calling `__init__` (fields start as None/0).

    With `untrack`, the instance is taken off the collector's list (only types with a GC header
    are on it).
    """
    obj = (<PyTypeObject*>cls).tp_new(cls, <PyObject*>_empty_tuple, NULL)
    if untrack and PyType_IS_GC(<PyTypeObject*>cls):
        PyObject_GC_UnTrack(<void*>obj)
    return obj


cdef inline _track(object obj):
    if PyObject_IS_GC(obj) and not PyObject_GC_IsTracked(obj):
        PyObject_GC_Track(<void*>obj)


cdef bint _is_atomic(object value, int depth):
    """True if `value` cannot lead back to a tensor (it is no container, or a tuple of such)."""
    cdef type value_type = type(value)
    if not PyObject_IS_GC(value):
        return True  # numbers, strings, None, NumPy arrays and dtypes
    if depth >= _ATOMIC_DEPTH:
        return False
    if value_type is tuple:
        for item in <tuple>value:
            if not _is_atomic(item, depth + 1):
                return False
        return True
    if value_type is slice:
        return (_is_atomic((<slice>value).start, depth + 1)
                and _is_atomic((<slice>value).stop, depth + 1)
                and _is_atomic((<slice>value).step, depth + 1))
    if isinstance(value, type):
        # Static types (int, numpy.float32) hold nothing of the user's; classes may.
        return not (PyType_GetFlags(<PyTypeObject*>value) & Py_TPFLAGS_HEAPTYPE)
    return False


cdef bint _kwargs_hold_objects(object kwargs):
    for value in (<dict>kwargs).values():
        if not _is_atomic(value, 0):
            return True
    return False


cdef inline bint _inputs_hold_objects(tuple inputs):
    cdef OpNode child
    if not _objects_held:
        return False
    for item in inputs:
        if isinstance(item, TensorCore):
            child = (<TensorCore>item).ctx
            if child is not None and child.holds_objects:
                return True
    return False


cdef _mark_holds_objects(OpNode op):
    global _objects_held
    op.holds_objects = True
    _objects_held = True
    _track(op)
