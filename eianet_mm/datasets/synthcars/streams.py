"""Independent, named random streams derived from the seed and an item's identity.

Every random draw of the generator comes from ``stream(seed, *keys)``: the same keys give the
same stream in any process, worker or order (no global state, no Python ``hash``), and a key
that is not passed (e.g. the model year for nuisance) cannot influence the draw.
"""
import zlib
from typing import Union

import numpy as np

Key = Union[int, str]


def _key_to_int(key: Key) -> int:
    if isinstance(key, bool) or not isinstance(key, (int, str, np.integer)):
        raise TypeError(f'stream keys must be int or str, got {type(key).__name__}')
    if isinstance(key, str):
        # Strings get their own range above 2**32 so they never collide with small ints.
        return (1 << 32) + zlib.crc32(key.encode('utf-8'))
    if key < 0:
        raise ValueError(f'stream keys must be non-negative, got {key}')
    return int(key)


def stream(seed: int, *keys: Key) -> np.random.Generator:
    """A random generator determined only by the seed and the keys.

    Args:
        seed (int): The dataset seed (>= 0).
        *keys (int | str): The identity of what is drawn, e.g. ``('scene', 'veri', 12)``.

    Returns:
        np.random.Generator: A PCG64 generator.
    """
    entropy = [_key_to_int(seed)] + [_key_to_int(k) for k in keys]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
