"""Verification pairs with the CompCars meaning of easy / medium / hard, plus year-level pairs.

Model level (label 1 = same model): easy = both images of the same viewpoint (positives and
negatives), medium = any viewpoints, hard = negatives of another model of the *same make*
(positives as medium). Year level (label 1 = same model and year; negatives = the same model,
another year): easy = same viewpoint, medium = any, hard = different viewpoints; by default
both images of a year-level pair show the design of a part the years change (a negative: one
whose design differs between its two years), so that its answer is in the pixels: a front and
a rear view share no such part.
"""
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np

from .streams import stream

#: Pair set name -> file name in ``train_test_split/verification/``.
PAIR_FILES: Dict[str, str] = {
    'model_easy': 'verification_pairs_easy.txt',
    'model_medium': 'verification_pairs_medium.txt',
    'model_hard': 'verification_pairs_hard.txt',
    'year_easy': 'verification_pairs_year_easy.txt',
    'year_medium': 'verification_pairs_year_medium.txt',
    'year_hard': 'verification_pairs_year_hard.txt',
}


@dataclass(frozen=True)
class PairImage:
    """What the pair rules need to know of a test image."""

    path: str
    make_id: int
    model_id: int
    year: int
    view: int
    #: ``(part, design)`` of each part the years change whose design the image shows; equal
    #: designs have equal numbers within a model.
    designs: Tuple[Tuple[str, int], ...] = ()


Pair = Tuple[int, int]


def _draw(rng: np.random.Generator, n_images: int, pool_of: Callable[[int], np.ndarray],
          accept: Callable[[int, int], bool], n: int) -> List[Pair]:
    """Draw up to ``n`` distinct unordered pairs: an anchor uniformly, a partner from its pool."""
    pairs: List[Pair] = []
    seen = set()
    tries = 0
    while len(pairs) < n and tries < 50 * n + 1000:
        tries += 1
        i = int(rng.integers(n_images))
        pool = pool_of(i)
        if len(pool) < 2:
            continue
        j = int(pool[int(rng.integers(len(pool)))])
        key = (min(i, j), max(i, j))
        if j == i or key in seen or not accept(i, j):
            continue
        seen.add(key)
        pairs.append((i, j))
    return pairs


def sample_pairs(images: Sequence[PairImage], n_half: int, seed: int,
                 year_pairs_show_design: bool = True
                 ) -> Dict[str, Tuple[List[Pair], List[Pair]]]:
    """Draw the six pair sets, balanced (as many negatives as positives).

    Args:
        images (Sequence[PairImage]): The test images (their order fixes the indices).
        n_half (int): Positives (and negatives) wanted per set; fewer when the data cannot
            give that many distinct pairs.
        seed (int): The dataset seed.
        year_pairs_show_design (bool): Year-level pairs only of images that both show the
            design of one part (``PairImage.designs``): for a positive any such part, for a
            negative one whose design differs between the two years. Defaults to True.

    Returns:
        dict[str, tuple[list, list]]: For each name of :data:`PAIR_FILES`, the positive and
        the negative index pairs.
    """
    groups: Dict[str, Dict[tuple, np.ndarray]] = {}
    keys = {
        'all': lambda im: (),
        'view': lambda im: (im.view,),
        'make': lambda im: (im.make_id,),
        'model': lambda im: (im.model_id,),
        'model_view': lambda im: (im.model_id, im.view),
        'class': lambda im: (im.model_id, im.year),
        'class_view': lambda im: (im.model_id, im.year, im.view),
    }
    for name, key in keys.items():
        acc: Dict[tuple, List[int]] = defaultdict(list)
        for i, im in enumerate(images):
            acc[key(im)].append(i)
        groups[name] = {k: np.asarray(v) for k, v in acc.items()}

    def pool(name: str) -> Callable[[int], np.ndarray]:
        return lambda i: groups[name][keys[name](images[i])]

    def always(i: int, j: int) -> bool:
        return True

    def other_model(i: int, j: int) -> bool:
        return images[i].model_id != images[j].model_id

    def other_year(i: int, j: int) -> bool:
        return images[i].year != images[j].year

    def other_view(i: int, j: int) -> bool:
        return images[i].view != images[j].view

    def same_design_shown(i: int, j: int) -> bool:
        return not year_pairs_show_design or bool(
            {p for p, _ in images[i].designs} & {p for p, _ in images[j].designs})

    def other_design_shown(i: int, j: int) -> bool:
        if not year_pairs_show_design:
            return True
        shown = dict(images[j].designs)
        return any(p in shown and shown[p] != d for p, d in images[i].designs)

    def other_year_design(i: int, j: int) -> bool:
        return other_year(i, j) and other_design_shown(i, j)

    def other_view_same_design(i: int, j: int) -> bool:
        return other_view(i, j) and same_design_shown(i, j)

    def other_year_view_design(i: int, j: int) -> bool:
        return other_year(i, j) and other_view(i, j) and other_design_shown(i, j)

    rules = {
        'model_easy': (('model_view', always), ('view', other_model)),
        'model_medium': (('model', always), ('all', other_model)),
        'model_hard': (('model', always), ('make', other_model)),
        'year_easy': (('class_view', same_design_shown), ('model_view', other_year_design)),
        'year_medium': (('class', same_design_shown), ('model', other_year_design)),
        'year_hard': (('class', other_view_same_design), ('model', other_year_view_design)),
    }
    out = {}
    for name, ((pos_pool, pos_ok), (neg_pool, neg_ok)) in rules.items():
        pos = _draw(stream(seed, 'pairs', name, 1), len(images), pool(pos_pool), pos_ok, n_half)
        neg = _draw(stream(seed, 'pairs', name, 0), len(images), pool(neg_pool), neg_ok, n_half)
        n = min(len(pos), len(neg))
        out[name] = (pos[:n], neg[:n])
    return out
