"""Balanced same / different training pairs of labelled samples, for the pair classifiers
fitted on a network's training-set features (:class:`~eianet_mm.baselines.PairSVM`,
:class:`~eianet_mm.baselines.PartPairScorer`)."""
from typing import Optional, Tuple

import numpy as np

__all__ = ['balanced_pairs']


def _blocks(keys: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Block index of each sample, samples ordered by block, block starts and sizes."""
    _, inverse, sizes = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind='stable')
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return inverse, order, starts, sizes


def balanced_pairs(y: np.ndarray,
                   num_pairs: int,
                   seed: int = 0,
                   groups: Optional[np.ndarray] = None,
                   owner: str = 'balanced_pairs') -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``num_pairs // 2`` same-class pairs and as many different-class pairs, drawn with
    replacement with ``np.random.default_rng(seed)``.

    A same-class pair is a random sample of a class with at least two samples and another
    random sample of its class. A different-class pair is two random samples of different
    classes; with ``groups``, two random samples of one group and different classes (the
    year level: two images of one vehicle model, of different model years), drawn only in
    groups that hold two classes or more.

    Args:
        y (np.ndarray): Class labels, ``[N]``.
        num_pairs (int): Pairs to draw (>= 2).
        seed (int): Seed of the draw. Defaults to 0.
        groups (np.ndarray, optional): Group of each sample, ``[N]``. Defaults to None.
        owner (str): Name that starts the error messages. Defaults to 'balanced_pairs'.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: Indices of the first and second samples
        and the pair labels (1 same, 0 different), each ``[2 * (num_pairs // 2)]``.
    """
    y = np.asarray(y)
    if num_pairs < 2:
        raise ValueError(f'{owner}: needs at least 2 training pairs, got {num_pairs}')
    inverse, order, starts, sizes = _blocks(y)
    if len(sizes) < 2 or sizes.max() < 2:
        raise ValueError(f'{owner}: needs at least 2 classes and one class with 2 or '
                         f'more samples; got {len(sizes)} classes, the largest of '
                         f'{sizes.max() if len(sizes) else 0} samples')
    rng = np.random.default_rng(seed)
    half = num_pairs // 2
    # Same-class pairs: an anchor position in a class block of m >= 2 samples, then
    # another position of that block at a random non-zero offset.
    anchors = np.flatnonzero(sizes[inverse[order]] > 1)
    pos = rng.choice(anchors, size=half)
    block = inverse[order[pos]]
    offset = (pos - starts[block] + rng.integers(1, sizes[block])) % sizes[block]
    same1, same2 = order[pos], order[starts[block] + offset]
    diff1, diff2 = _different_class_pairs(inverse, half, rng, groups, owner)
    first = np.concatenate([same1, diff1])
    second = np.concatenate([same2, diff2])
    labels = np.concatenate([np.ones(half, dtype=np.int64), np.zeros(half, dtype=np.int64)])
    return first, second, labels


def _different_class_pairs(classes: np.ndarray, num: int, rng: np.random.Generator,
                           groups: Optional[np.ndarray],
                           owner: str) -> Tuple[np.ndarray, np.ndarray]:
    """``num`` pairs of samples of different classes (of one group when ``groups``): the
    second sample redrawn (in the first one's group) where the classes agree."""
    n = len(classes)
    if groups is None:
        first = rng.integers(0, n, size=num)
        draw = lambda idx: rng.integers(0, n, size=len(idx))  # noqa: E731
    else:
        groups = np.asarray(groups)
        if groups.shape != classes.shape:
            raise ValueError(f'{owner}: groups must have one entry per sample ({n}), got '
                             f'shape {groups.shape}')
        group, order, starts, sizes = _blocks(groups)
        classes_per_group = np.array([len(np.unique(classes[order[s:s + m]]))
                                      for s, m in zip(starts, sizes)])
        eligible = np.flatnonzero(classes_per_group[group] > 1)
        if len(eligible) == 0:
            raise ValueError(f'{owner}: no group holds two classes, so no different-class '
                             'pair within a group can be drawn')
        first = rng.choice(eligible, size=num)

        def draw(idx: np.ndarray) -> np.ndarray:
            g = group[first[idx]]
            return order[starts[g] + rng.integers(0, sizes[g])]

    second = draw(np.arange(num))
    clash = np.flatnonzero(classes[first] == classes[second])
    while len(clash):
        second[clash] = draw(clash)
        clash = clash[classes[first[clash]] == classes[second[clash]]]
    return first, second
