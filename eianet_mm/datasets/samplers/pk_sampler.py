"""An infinite P x K sampler: groups of P classes x K images, with same-model-other-year
classes in the same group (the hard negatives of the modified coupled cluster loss)."""
import itertools
import math
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sequence

import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmdet.registry import DATA_SAMPLERS

__all__ = ['PKSampler']


class _Stream:
    """Items handed out in passes: each pass is a permutation of all items (``generator``)
    or their given order (no generator); one :meth:`take` never repeats an item."""

    def __init__(self, items: Sequence, generator: Optional[torch.Generator]) -> None:
        self.items = list(items)
        self.generator = generator
        self.queue: List = []  # the rest of the current pass, next item last

    def _refill(self) -> None:
        if self.generator is None:
            order = range(len(self.items))
        else:
            order = torch.randperm(len(self.items), generator=self.generator).tolist()
        self.queue = [self.items[i] for i in reversed(list(order))]

    def take(self, n: int, exclude: frozenset = frozenset()) -> List:
        """``n`` distinct items not in ``exclude``; skipped items stay next in line. The
        caller guarantees that at least ``n`` items are not excluded."""
        out, taken, skipped = [], set(), []
        while len(out) < n:
            if not self.queue:
                self._refill()
            item = self.queue.pop()
            if item in exclude or item in taken:
                skipped.append(item)
            else:
                out.append(item)
                taken.add(item)
        self.queue.extend(reversed(skipped))
        return out


@DATA_SAMPLERS.register_module()
class PKSampler(Sampler):
    """Infinite sampler yielding groups of ``num_ids`` classes x ``num_instances`` images.

    Set the dataloader's ``batch_size`` to ``num_ids * num_instances``: the default batch
    sampler then cuts the stream into exactly one group per batch. Each group lists its P
    classes one after the other, K indices each.

    Labels are read once, at construction, through ``dataset.get_data_info(i)['id_label']``
    (the positive-set class) and ``['coarse_label']`` (the vehicle model; negative =
    unknown). A class with a single image cannot form a positive set and is never drawn
    (it is not used as a negative either). The other classes are drawn in passes over a
    random permutation, so every class comes up once per pass. A class's K images are
    drawn the same way from its images: distinct when it has at least K images, each image
    once and the rest repeated (with replacement) only when it has fewer.

    Hard negatives: about ``hard_negative_ratio * num_ids`` classes of each group are
    classes that share a coarse label with another class of the group (same model, other
    year), drawn as blocks of 2 or more classes of one coarse label, when the data has
    coarse labels with at least two usable classes. The count per group is the stochastic
    rounding of ``hard_negative_ratio * num_ids`` (so its mean is exact); a count of 1 is
    made a block of 2 with probability 1/2 (none otherwise), as one class alone cannot
    share. The rest of the group is drawn from all usable classes.

    Under DDP every rank builds the same global stream of groups (one shared seed) and
    keeps groups ``rank, rank + world_size, ...``, like mmengine's ``InfiniteSampler``.

    Args:
        dataset: The dataset, exposing ``__len__`` and ``get_data_info``.
        num_ids (int): P, classes per group (at least 2: the negatives).
        num_instances (int): K, images per class (at least 2: a positive set).
        hard_negative_ratio (float): Fraction of the P classes drawn as same-coarse-label
            blocks, in [0, 1]. Defaults to 0.5.
        shuffle (bool): Draw at random. If False, classes, coarse labels and images come in
            sorted / dataset order, cycling, and the hard-negative count is
            ``round(hard_negative_ratio * num_ids)`` (1 becomes 2). Defaults to True.
        seed (int, optional): Random seed, shared by all ranks. Defaults to None (drawn
            and synchronised across ranks by mmengine's ``sync_random_seed``).
        rank (int, optional): This process's rank. Defaults to None (from
            ``get_dist_info``).
        world_size (int, optional): Number of processes. Defaults to None (from
            ``get_dist_info``).
    """

    def __init__(self,
                 dataset,
                 num_ids: int,
                 num_instances: int,
                 hard_negative_ratio: float = 0.5,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None) -> None:
        name = type(dataset).__name__
        if num_ids < 2:
            raise ValueError(f'PKSampler: num_ids must be >= 2 (a group needs negatives), '
                             f'got {num_ids}')
        if num_instances < 2:
            raise ValueError(f'PKSampler: num_instances must be >= 2 (a positive set needs '
                             f'two images), got {num_instances}')
        if not 0.0 <= hard_negative_ratio <= 1.0:
            raise ValueError(f'PKSampler: hard_negative_ratio must be in [0, 1], got '
                             f'{hard_negative_ratio}')
        dist_rank, dist_world_size = get_dist_info()
        self.rank = dist_rank if rank is None else rank
        self.world_size = dist_world_size if world_size is None else world_size
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f'PKSampler: rank {self.rank} is not in [0, {self.world_size})')
        self.dataset = dataset
        self.num_ids = num_ids
        self.num_instances = num_instances
        self.hard_negative_ratio = hard_negative_ratio
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed

        self.class_indices, self.class_coarse = self._read_labels(dataset)
        num_singletons = sum(len(v) == 1 for v in self.class_indices.values())
        self.classes = sorted(c for c, v in self.class_indices.items() if len(v) > 1)
        if len(self.classes) < num_ids:
            raise ValueError(
                f'PKSampler: {name} has {len(self.classes)} classes with at least two images '
                f'({num_singletons} single-image classes are skipped), fewer than '
                f'num_ids={num_ids}: lower num_ids or use another dataset')
        siblings: Dict[int, List] = defaultdict(list)
        for c in self.classes:
            if self.class_coarse[c] >= 0:
                siblings[self.class_coarse[c]].append(c)
        self.coarse_siblings = {k: v for k, v in siblings.items() if len(v) > 1}
        self.num_usable_images = sum(len(self.class_indices[c]) for c in self.classes)
        self.indices = self._indices_of_rank()

    @staticmethod
    def _read_labels(dataset):
        """``{id_label: [indices]}`` and ``{id_label: coarse_label}`` of the dataset."""
        name = type(dataset).__name__
        class_indices: Dict[int, List[int]] = defaultdict(list)
        class_coarse: Dict[int, int] = {}
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            for key in ('id_label', 'coarse_label'):
                if key not in info:
                    raise KeyError(f'PKSampler: sample {i} of {name} has no {key!r} '
                                   f'(see docs/interfaces.md)')
            label, coarse = int(info['id_label']), int(info['coarse_label'])
            if class_coarse.setdefault(label, coarse) != coarse:
                raise ValueError(f'PKSampler: sample {i} of {name} ({info.get("img_path")}) '
                                 f'has coarse_label {coarse}, but id_label {label} has '
                                 f'coarse_label {class_coarse[label]} elsewhere')
            class_indices[label].append(i)
        return dict(class_indices), class_coarse

    def _num_hard(self, generator: Optional[torch.Generator]) -> int:
        """Number of hard-negative classes for one group."""
        target = self.hard_negative_ratio * self.num_ids
        if generator is None:
            count = int(round(target))
            return 2 if count == 1 else count
        count = math.floor(target)
        if torch.rand(1, generator=generator).item() < target - count:
            count += 1
        if count == 1:
            count = 2 if torch.rand(1, generator=generator).item() < 0.5 else 0
        return count

    def _groups(self) -> Iterator[List[int]]:
        """The global, infinite stream of groups."""
        generator = None
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed)
        classes = _Stream(self.classes, generator)
        coarse = _Stream(sorted(self.coarse_siblings), generator)
        siblings = {k: _Stream(v, generator) for k, v in self.coarse_siblings.items()}
        images = {c: _Stream(self.class_indices[c], generator) for c in self.classes}
        while True:
            chosen: List = []
            used_coarse: set = set()
            num_hard = self._num_hard(generator) if self.coarse_siblings else 0
            while len(chosen) < num_hard and len(used_coarse) < len(self.coarse_siblings):
                key = coarse.take(1, exclude=frozenset(used_coarse))[0]
                used_coarse.add(key)
                left = num_hard - len(chosen)
                size = min(max(left, 2), len(self.coarse_siblings[key]),
                           self.num_ids - len(chosen))
                if left - size == 1 and size > 2:
                    size -= 1  # leave two slots, not one, for the next block
                if size < 2:
                    break
                chosen += siblings[key].take(size)
            chosen += classes.take(self.num_ids - len(chosen), exclude=frozenset(chosen))
            group = []
            for c in chosen:
                need = self.num_instances
                while need > 0:
                    part = images[c].take(min(need, len(self.class_indices[c])))
                    group += part
                    need -= len(part)
            yield group

    def _indices_of_rank(self) -> Iterator[int]:
        """This rank's share of the groups, flattened."""
        for group in itertools.islice(self._groups(), self.rank, None, self.world_size):
            yield from group

    def __iter__(self) -> Iterator[int]:
        """The indices: one shared stream, so a new iteration (a new dataloader iterator)
        goes on where the last one stopped, and dropping an iterator does not end it."""
        return self.indices

    def __len__(self) -> int:
        """Indices of one nominal epoch on this rank: the images of the usable classes,
        rounded up to whole groups, shared among the ranks."""
        group = self.num_ids * self.num_instances
        groups = math.ceil(math.ceil(self.num_usable_images / group) / self.world_size)
        return groups * group

    def set_epoch(self, epoch: int) -> None:
        """Not used: the stream is infinite (as mmengine's ``InfiniteSampler``)."""
