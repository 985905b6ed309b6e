"""The nesting of a checkpoint: a JSON description of dicts, lists and scalars around arrays.

Both checkpoint formats (`.npz` and safetensors) store the arrays of an object as named entries
and the rest of it as this description, so that any nesting of dicts (str or int keys), lists,
tuples, arrays, tensors, numbers, strings and None round-trips exactly. A node is one of

- `{"type": "dict", "items": [[key, <node>], ...]}` (keys kept in order);
- `{"type": "list" | "tuple", "items": [<node>, ...]}`;
- `{"type": "array" | "tensor" | "numpy_scalar", "entry": NAME, "dtype": "<f4", "shape": [2, 3]}`;
- `{"type": "int" | "float" | "bool" | "str" | "none", "value": ...}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy

from autocompyute.backend import Device, get_device, move_array
from autocompyute.tensor import Tensor

__all__ = ["decode_structure", "encode_structure"]

_SCALARS = {bool: "bool", int: "int", float: "float", str: "str"}
_ARRAY_KINDS = ("array", "tensor", "numpy_scalar")

# Chooses an array's entry name from its path in the object (keys from the top down).
EntryNamer = Callable[[tuple[str, ...], Mapping[str, numpy.ndarray]], str]


def numbered_entries(path: tuple[str, ...], arrays: Mapping[str, numpy.ndarray]) -> str:
    """Names entries a0, a1, ... in the order they occur (the `.npz` format's names)."""
    return f"a{len(arrays)}"


def encode_structure(
    obj: Any, name_entry: EntryNamer = numbered_entries
) -> tuple[dict[str, Any], dict[str, numpy.ndarray]]:
    """Splits `obj` into its structure node and its host arrays keyed by entry name.

    Raises:
        TypeError: naming where in `obj` an unsupported value or key was found.
    """
    arrays: dict[str, numpy.ndarray] = {}
    return _encode(obj, arrays, (), name_entry), arrays


def _where(path: tuple[str, ...]) -> str:
    return "obj" + "".join(f"[{key!r}]" for key in path)


def _encode(
    value: Any, arrays: dict[str, numpy.ndarray], path: tuple[str, ...], name_entry: EntryNamer
) -> dict[str, Any]:
    if value is None:
        return {"type": "none", "value": None}
    scalar_type = _SCALARS.get(type(value))
    if scalar_type is not None:
        return {"type": scalar_type, "value": value}
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if type(key) not in (str, int):
                raise TypeError(
                    f"save: dict keys must be str or int, got {type(key).__name__} "
                    f"at {_where(path)}"
                )
            items.append([key, _encode(item, arrays, (*path, str(key)), name_entry)])
        return {"type": "dict", "items": items}
    if isinstance(value, list | tuple):
        kind = "list" if isinstance(value, list) else "tuple"
        return {
            "type": kind,
            "items": [
                _encode(item, arrays, (*path, str(index)), name_entry)
                for index, item in enumerate(value)
            ],
        }
    if isinstance(value, Tensor):
        kind = "tensor"
    elif isinstance(value, numpy.generic):
        kind = "numpy_scalar"
    elif isinstance(value, numpy.ndarray) or hasattr(value, "__cuda_array_interface__"):
        kind = "array"
    else:
        raise TypeError(
            f"save: cannot save a {type(value).__name__} at {_where(path)}; supported: "
            "dicts, lists, tuples, arrays, tensors, numbers, str and None"
        )
    array = host_array(numpy.asarray(value) if kind == "numpy_scalar" else value)
    entry = name_entry(path, arrays)
    arrays[entry] = array
    return {"type": kind, "entry": entry, "dtype": array.dtype.str, "shape": list(array.shape)}


def host_array(value: Any) -> numpy.ndarray:
    """The NumPy array of a tensor or array (CuPy arrays are copied to the host)."""
    array = value.as_numpy() if isinstance(value, Tensor) else value
    if not isinstance(array, numpy.ndarray):
        array = move_array(array, get_device("cpu"))
    if array.dtype.hasobject:
        raise TypeError("save: arrays of Python objects cannot be saved")
    return array


def decode_structure(
    node: Any, get_array: Callable[[str], numpy.ndarray], device: Device | None
) -> Any:
    """Rebuilds the object a structure node describes, fetching arrays by entry name.

    Raises:
        ValueError: if the node is malformed or an entry disagrees with its description.
    """
    if not isinstance(node, dict):
        raise ValueError(f"a structure node must be an object, got {type(node).__name__}")
    kind = node.get("type")
    if kind == "none":
        return None
    if kind in ("bool", "int", "float", "str"):
        value = node.get("value")
        expected: dict[str, Any] = {"bool": bool, "int": int, "float": (int, float), "str": str}
        if not isinstance(value, expected[kind]) or (kind != "bool" and isinstance(value, bool)):
            raise ValueError(f"a {kind} node holds {value!r}")
        return {"bool": bool, "int": int, "float": float, "str": str}[kind](value)
    if kind == "dict":
        items = _items(node)
        result = {}
        for item in items:
            if not (isinstance(item, list) and len(item) == 2 and type(item[0]) in (str, int)):
                raise ValueError(f"a dict item must be [key, node], got {item!r:.80}")
            result[item[0]] = decode_structure(item[1], get_array, device)
        return result
    if kind in ("list", "tuple"):
        values = [decode_structure(item, get_array, device) for item in _items(node)]
        return values if kind == "list" else tuple(values)
    if kind in _ARRAY_KINDS:
        entry = node.get("entry")
        if not isinstance(entry, str):
            raise ValueError(f"an array node has no entry name: {node!r:.80}")
        array = get_array(entry)
        if array.dtype.str != node.get("dtype") or list(array.shape) != node.get("shape"):
            raise ValueError(
                f"entry {entry!r} has dtype {array.dtype.str} shape {list(array.shape)}, "
                f"the metadata says {node.get('dtype')} {node.get('shape')}"
            )
        if kind == "numpy_scalar":
            return array[()]
        if device is not None:
            array = move_array(array, device)
        return Tensor(array) if kind == "tensor" else array
    raise ValueError(f"unknown node type {kind!r}")


def _items(node: dict[str, Any]) -> list[Any]:
    items = node.get("items")
    if not isinstance(items, list):
        raise ValueError(f"a {node.get('type')} node has no item list")
    return items
