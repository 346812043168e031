"""PKSampler: group composition, hard-negative blocks, determinism, ranks and errors."""
import itertools
from collections import Counter

import pytest
from torch.utils.data import DataLoader

from mmdet.registry import DATA_SAMPLERS
from mmengine.registry import DefaultScope

import eianet_mm  # noqa: F401  (registration)
from eianet_mm.datasets.samplers import PKSampler
from eianet_mm.datasets.samplers import pk_sampler as pk_module


class FakeDataset:
    """Just what the sampler reads: ``__len__`` and ``get_data_info``."""

    def __init__(self, rows):
        self.rows = rows  # (id_label, coarse_label) per sample

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return i

    def get_data_info(self, i):
        id_label, coarse = self.rows[i]
        return dict(img_path=f'img_{i}.jpg', id_label=id_label, coarse_label=coarse)


def make_rows(num_models=6, years=2, images=5):
    """Class ``m * years + y`` is model ``m``, year ``y``; samples interleaved."""
    rows = [(m * years + y, m) for m in range(num_models) for y in range(years)] * images
    return rows


def groups(sampler, count):
    it = iter(sampler)
    size = sampler.num_ids * sampler.num_instances
    return [[next(it) for _ in range(size)] for _ in range(count)]


def blocks(dataset, group, k):
    """The class of each K-block of a group, checking the block is one class."""
    out = []
    for start in range(0, len(group), k):
        labels = {dataset.rows[i][0] for i in group[start:start + k]}
        assert len(labels) == 1
        out.append(labels.pop())
    return out


def test_groups_are_p_distinct_classes_times_k_images():
    dataset = FakeDataset(make_rows())
    sampler = PKSampler(dataset, num_ids=4, num_instances=3, seed=0)
    for group in groups(sampler, 50):
        assert len(group) == 12
        classes = blocks(dataset, group, 3)
        assert len(set(classes)) == 4
        for start in range(0, 12, 3):
            assert len(set(group[start:start + 3])) == 3  # 5 images >= K: no repeats


def test_small_classes_repeat_only_as_needed_and_singletons_are_skipped():
    rows = [(0, 0)] * 2 + [(1, 0)] * 6 + [(2, 1)] * 3 + [(3, -1)] + [(4, -1)]
    dataset = FakeDataset(rows)
    sampler = PKSampler(dataset, num_ids=3, num_instances=4, hard_negative_ratio=0.0, seed=1)
    for group in groups(sampler, 20):
        classes = blocks(dataset, group, 4)
        assert sorted(classes) == [0, 1, 2]  # 3 and 4 have one image each
        for start, label in zip(range(0, 12, 4), classes):
            counts = Counter(group[start:start + 4])
            members = [i for i, r in enumerate(rows) if r[0] == label]
            assert set(counts) <= set(members)
            if len(members) < 4:  # every image, repeated as evenly as possible
                assert set(counts) == set(members)
                assert max(counts.values()) - min(counts.values()) <= 1
            else:
                assert max(counts.values()) == 1
    assert sampler.classes == [0, 1, 2]
    assert len(sampler) == 12  # 11 usable images, rounded up to a group


def sibling_classes(dataset, group, k):
    """The classes of a group that share their coarse label with another class of it."""
    classes = blocks(dataset, group, k)
    coarse = Counter(dataset.rows[group[i * k]][1] for i in range(len(classes)))
    return [c for i, c in enumerate(classes) if coarse[dataset.rows[group[i * k]][1]] > 1]


def test_hard_negative_blocks_present():
    dataset = FakeDataset(make_rows(num_models=20, years=3, images=3))
    full = PKSampler(dataset, num_ids=4, num_instances=2, hard_negative_ratio=1.0, seed=2)
    for group in groups(full, 40):
        assert len(sibling_classes(dataset, group, 2)) == 4
    half = PKSampler(dataset, num_ids=8, num_instances=2, hard_negative_ratio=0.5, seed=3)
    for group in groups(half, 40):
        assert len(sibling_classes(dataset, group, 2)) >= 4


def test_hard_negative_ratio_is_the_mean_fraction():
    dataset = FakeDataset(make_rows(num_models=20, years=2, images=2))
    rates = {}
    for ratio in (0.0, 0.5):
        sampler = PKSampler(dataset, num_ids=2, num_instances=2, hard_negative_ratio=ratio,
                            seed=4)
        rates[ratio] = sum(
            len(sibling_classes(dataset, g, 2)) == 2 for g in groups(sampler, 400)) / 400
    # Pairs of one model arise by chance with probability 1/39 without hard sampling.
    assert rates[0.0] < 0.08
    assert 0.42 < rates[0.5] < 0.6


def test_without_siblings_and_every_class_once_per_pass():
    rows = [(c, -1) for c in range(12)] * 2  # unknown models: no hard negatives possible
    dataset = FakeDataset(rows)
    sampler = PKSampler(dataset, num_ids=3, num_instances=2, hard_negative_ratio=1.0, seed=5)
    first_pass = [c for g in groups(sampler, 4) for c in blocks(dataset, g, 2)]
    assert sorted(first_pass) == list(range(12))


def test_deterministic_with_a_seed_and_seed_none_uses_synced_seed(monkeypatch):
    dataset = FakeDataset(make_rows())
    a = groups(PKSampler(dataset, num_ids=4, num_instances=2, seed=7), 10)
    b = groups(PKSampler(dataset, num_ids=4, num_instances=2, seed=7), 10)
    c = groups(PKSampler(dataset, num_ids=4, num_instances=2, seed=8), 10)
    assert a == b and a != c
    monkeypatch.setattr(pk_module, 'sync_random_seed', lambda: 7)
    assert groups(PKSampler(dataset, num_ids=4, num_instances=2), 10) == a


def test_iteration_continues_the_stream():
    dataset = FakeDataset(make_rows())
    sampler = PKSampler(dataset, num_ids=2, num_instances=2, seed=9)
    first = list(itertools.islice(iter(sampler), 8))
    second = list(itertools.islice(iter(sampler), 8))
    fresh = list(itertools.islice(iter(PKSampler(dataset, num_ids=2, num_instances=2, seed=9)),
                                  16))
    assert first + second == fresh


def test_ranks_yield_different_interleaved_streams(monkeypatch):
    dataset = FakeDataset(make_rows())
    single = groups(PKSampler(dataset, num_ids=3, num_instances=2, seed=11), 12)
    rank0 = groups(PKSampler(dataset, num_ids=3, num_instances=2, seed=11, rank=0,
                             world_size=2), 6)
    monkeypatch.setattr(pk_module, 'get_dist_info', lambda: (1, 2))
    sampler1 = PKSampler(dataset, num_ids=3, num_instances=2, seed=11)
    assert (sampler1.rank, sampler1.world_size) == (1, 2)
    rank1 = groups(sampler1, 6)
    assert rank0 != rank1
    assert rank0 == single[0::2] and rank1 == single[1::2]
    assert len(sampler1) == 6 * 5  # 60 images -> 10 groups of 6, 5 per rank


def test_shuffle_false_is_ordered():
    dataset = FakeDataset(make_rows(num_models=3, years=2, images=3))
    sampler = PKSampler(dataset, num_ids=4, num_instances=2, shuffle=False)
    first, second = groups(sampler, 2)
    # Two hard classes (model 0: classes 0 and 1), then classes 2, 3 in order; each
    # class's first two images in dataset order (class c is at c, c + 6, c + 12).
    assert first == [0, 6, 1, 7, 2, 8, 3, 9]
    # Next: the block of model 1 (classes 2, 3), then the class stream resumes at the
    # classes it skipped (0, 1) because they were in the group already.
    assert blocks(dataset, second, 2) == [2, 3, 0, 1]
    assert second[:2] == [14, 2]  # class 2 continues: its third image, then a new pass


def test_dataloader_batches_are_groups():
    dataset = FakeDataset(make_rows())
    # Configs run under default_scope='mmdet'; an earlier test in the worker may have left
    # another scope current.
    with DefaultScope.overwrite_default_scope('mmdet'):
        sampler = DATA_SAMPLERS.build(
            dict(type='PKSampler', dataset=dataset, num_ids=3, num_instances=2, seed=0))
    assert isinstance(sampler, PKSampler)
    loader = DataLoader(dataset, batch_size=6, sampler=sampler)
    for batch, expected in zip(loader, groups(PKSampler(dataset, 3, 2, seed=0), 3)):
        assert batch.tolist() == expected


def test_errors():
    dataset = FakeDataset([(0, 0), (0, 0), (1, 0), (2, 1), (2, 1)])
    with pytest.raises(ValueError, match=r'FakeDataset has 2 classes with at least two images '
                       r'\(1 single-image classes are skipped\), fewer than num_ids=3'):
        PKSampler(dataset, num_ids=3, num_instances=2, seed=0)
    with pytest.raises(ValueError, match='has 0 classes'):
        PKSampler(FakeDataset([(0, 0), (1, 0)]), num_ids=2, num_instances=2, seed=0)
    with pytest.raises(ValueError, match='num_ids must be >= 2'):
        PKSampler(dataset, num_ids=1, num_instances=2, seed=0)
    with pytest.raises(ValueError, match='num_instances must be >= 2'):
        PKSampler(dataset, num_ids=2, num_instances=1, seed=0)
    with pytest.raises(ValueError, match=r'hard_negative_ratio must be in \[0, 1\]'):
        PKSampler(dataset, num_ids=2, num_instances=2, hard_negative_ratio=1.5, seed=0)
    with pytest.raises(ValueError, match=r'rank 2 is not in \[0, 2\)'):
        PKSampler(dataset, num_ids=2, num_instances=2, seed=0, rank=2, world_size=2)
    bad = FakeDataset([(0, 0), (0, 1), (1, 0), (1, 0)])
    with pytest.raises(ValueError, match=r"sample 1 of FakeDataset \(img_1.jpg\) has "
                       r'coarse_label 1, but id_label 0 has coarse_label 0'):
        PKSampler(bad, num_ids=2, num_instances=2, seed=0)

    class NoCoarse(FakeDataset):

        def get_data_info(self, i):
            return dict(id_label=self.rows[i][0])

    with pytest.raises(KeyError, match="sample 0 of NoCoarse has no 'coarse_label'"):
        PKSampler(NoCoarse(dataset.rows), num_ids=2, num_instances=2, seed=0)


def test_set_epoch_keeps_the_stream():
    dataset = FakeDataset(make_rows())
    a = PKSampler(dataset, num_ids=2, num_instances=2, seed=0)
    a.set_epoch(5)
    assert groups(a, 3) == groups(PKSampler(dataset, num_ids=2, num_instances=2, seed=0), 3)
