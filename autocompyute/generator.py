"""Random number generators: the library's per-device generators and PyTorch-style `Generator`.

Every random function (randn, rand, randint, randperm, multinomial, dropout, shuffling) draws
from the generator of its device, seeded together by `manual_seed` (`set_random_seed`), unless
it is given its own `Generator`.
"""

from __future__ import annotations

from typing import Any

import numpy

from autocompyute.backend import Device, DeviceLike, get_device

__all__ = ["Generator", "manual_seed", "random_generator", "set_random_seed"]

_seed: int | None = None
_generators: dict[str, Any] = {}


def set_random_seed(seed: int) -> None:
    """Seeds the random number generators of every device (for reproducible runs).

    >>> import autocompyute as ac
    >>> ac.manual_seed(0); a = ac.randn(2)
    >>> ac.manual_seed(0); b = ac.randn(2)
    >>> bool((a == b).all())
    True
    """
    global _seed
    if isinstance(seed, bool) or not isinstance(seed, int | numpy.integer):
        raise TypeError(f"manual_seed: the seed must be an int, got {seed!r}")
    _seed = int(seed)
    _generators.clear()


manual_seed = set_random_seed  # PyTorch's name


def _new_rng(device: Device, seed: int | None) -> Any:
    if device.type == "cpu":
        return numpy.random.default_rng(seed)
    xp = device.xp
    with xp.cuda.Device(device.index):
        return xp.random.default_rng(seed)


class Generator:
    """A random number generator of its own, for the `generator=` argument of random functions.

    Args:
        device: the device whose arrays it draws ("cpu" or "cuda[:N]").

    >>> import autocompyute as ac
    >>> g = ac.Generator().manual_seed(42)
    >>> a = ac.randn(3, generator=g)
    >>> bool((a == ac.randn(3, generator=ac.Generator().manual_seed(42))).all())
    True
    """

    def __init__(self, device: DeviceLike = "cpu") -> None:
        self.device = get_device(device)
        self._initial_seed = int(numpy.random.default_rng().integers(2**63))
        self.rng = _new_rng(self.device, self._initial_seed)

    def manual_seed(self, seed: int) -> Generator:
        """Re-seeds this generator; returns it (so `Generator().manual_seed(s)` works)."""
        if isinstance(seed, bool) or not isinstance(seed, int | numpy.integer):
            raise TypeError(f"Generator.manual_seed: the seed must be an int, got {seed!r}")
        self._initial_seed = int(seed)
        self.rng = _new_rng(self.device, int(seed))
        return self

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._initial_seed

    def __repr__(self) -> str:
        return f"Generator(device='{self.device}')"


def random_generator(device: Any, generator: Generator | None = None) -> Any:
    """The NumPy/CuPy generator to draw from on `device`: `generator`'s, or the library's."""
    if generator is not None:
        if not isinstance(generator, Generator):
            raise TypeError(
                f"generator must be an autocompyute Generator, got {type(generator).__name__}"
            )
        if generator.device != device:
            raise RuntimeError(
                f"the generator is on {generator.device}, but the values are made on {device}"
            )
        return generator.rng
    key = str(device)
    if key not in _generators:
        _generators[key] = _new_rng(device, _seed)
    return _generators[key]
