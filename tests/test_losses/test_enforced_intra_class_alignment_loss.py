"""EIAL against a plain per-pair, per-part float64 reference."""
import itertools

import pytest
import torch

from mmdet.registry import MODELS

import eianet_mm  # noqa: F401  (registration)
from eianet_mm.models.losses import (EnforcedIntraClassAlignmentLoss,
                                     enforced_intra_class_alignment_loss, part_alignment_ratio)


def pair_terms(part_feats, valid, labels, parts=None):
    """{(j, k): sum over co-detected kept parts of |x_j - x_k|^2}, for j < k of one label,
    leaving out pairs without a co-detected part."""
    parts = range(part_feats.shape[1]) if parts is None else parts
    terms = {}
    for j, k in itertools.combinations(range(len(labels)), 2):
        if labels[j] != labels[k]:
            continue
        shared = [i for i in parts if valid[j, i] and valid[k, i]]
        if shared:
            terms[(j, k)] = sum(((part_feats[j, i] - part_feats[k, i])**2).sum() for i in shared)
    return terms


def reference_eial(part_feats, valid, labels, parts=None):
    terms = pair_terms(part_feats, valid, labels.tolist(), parts)
    if not terms:
        return part_feats.sum() * 0
    return sum(terms.values()) / len(terms)


def random_case(seed, layout, num_parts=4, dim=3, p_valid=0.7):
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(len(layout), num_parts, dim, generator=gen, dtype=torch.float64)
    valid = torch.rand(len(layout), num_parts, generator=gen) < p_valid
    return feats, valid, torch.tensor(layout)


@pytest.mark.parametrize('layout', [[0, 0, 1, 1], [2, 0, 2, 1, 0, 2, 3], [0, 0, 0, 0, 0],
                                    [4, 4, 4, 9, 9, 9, 1, 1, 1]])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_all_pairs_match_reference(layout, seed):
    feats, valid, labels = random_case(seed, layout)
    expected = reference_eial(feats, valid, labels)
    got = enforced_intra_class_alignment_loss(feats, valid, labels)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    weighted = EnforcedIntraClassAlignmentLoss(loss_weight=0.25)(feats.float(), valid, labels)
    torch.testing.assert_close(weighted, 0.25 * expected.float(), rtol=1e-5, atol=1e-6)


def test_missing_parts_and_pairs_without_co_detected_part():
    feats = torch.arange(4 * 3 * 2, dtype=torch.float64).reshape(4, 3, 2) ** 0.5
    labels = torch.tensor([0, 0, 1, 1])
    # Pair (0, 1) shares parts 0 and 2; pair (2, 3) detects disjoint parts: left out.
    valid = torch.tensor([[1, 0, 1], [1, 1, 1], [1, 0, 0], [0, 1, 0]], dtype=torch.bool)
    got = enforced_intra_class_alignment_loss(feats, valid, labels)
    by_hand = ((feats[0, 0] - feats[1, 0])**2).sum() + ((feats[0, 2] - feats[1, 2])**2).sum()
    torch.testing.assert_close(got, by_hand)  # the mean over the one informative pair
    # A zero part descriptor of a missed part never enters the loss.
    zeroed = feats.clone()
    zeroed[0, 1] = 0
    torch.testing.assert_close(enforced_intra_class_alignment_loss(zeroed, valid, labels),
                               by_hand)


@pytest.mark.parametrize('layout,valid_rows', [
    ([0, 1, 2, 3], None),  # no positive set
    ([0, 0, 1, 1], [[1, 0], [0, 1], [0, 0], [1, 1]]),  # no co-detected part in any pair
    ([0, 0], [[0, 0], [0, 0]]),  # nothing detected
    ([], None),  # empty batch
])
def test_no_valid_pair_gives_connected_zero(layout, valid_rows):
    feats = torch.randn(len(layout), 2, 3, requires_grad=True)
    valid = (torch.ones(len(layout), 2, dtype=torch.bool)
             if valid_rows is None else torch.tensor(valid_rows, dtype=torch.bool))
    labels = torch.tensor(layout, dtype=torch.long)
    for num_pairs in (None, 1):
        loss = EnforcedIntraClassAlignmentLoss(num_pairs=num_pairs)(feats, valid, labels)
        assert loss.shape == () and loss.item() == 0.0
        loss.backward()
        assert feats.grad is not None and torch.equal(feats.grad, torch.zeros_like(feats))
        feats.grad = None


def test_gradients_reach_co_detected_parts_only():
    feats, valid, labels = random_case(5, [0, 0, 1, 2], num_parts=3)
    valid[:] = torch.tensor([[1, 1, 0], [1, 0, 1], [1, 1, 1], [1, 1, 1]], dtype=torch.bool)
    feats.requires_grad_()
    enforced_intra_class_alignment_loss(feats, valid, labels).backward()
    norms = feats.grad.abs().sum(dim=-1)
    assert torch.isfinite(feats.grad).all()
    # Only part 0 of samples 0 and 1 is co-detected in the one pair.
    expected = torch.zeros(4, 3, dtype=torch.bool)
    expected[0, 0] = expected[1, 0] = True
    assert torch.equal(norms > 0, expected)


def test_top_parts_with_priority_and_default_order():
    feats, valid, labels = random_case(7, [0, 0, 0, 1, 1, 2], num_parts=4, p_valid=0.8)
    valid[0:2] = True  # make sure the pair (0, 1) is informative for every part subset
    loss = EnforcedIntraClassAlignmentLoss(top_parts=2, part_priority=[3, 1, 0])
    torch.testing.assert_close(loss(feats, valid, labels),
                               reference_eial(feats, valid, labels, parts=[3, 1]))
    default = EnforcedIntraClassAlignmentLoss(top_parts=3)
    torch.testing.assert_close(default(feats, valid, labels),
                               reference_eial(feats, valid, labels, parts=[0, 1, 2]))
    feats.requires_grad_()
    loss(feats, valid, labels).backward()
    part_grad = feats.grad.abs().sum(dim=(0, 2))
    assert part_grad[0] == 0 and part_grad[2] == 0 and part_grad[1] > 0 and part_grad[3] > 0
    assert torch.equal(loss.part_mask(4), torch.tensor([False, True, False, True]))
    assert EnforcedIntraClassAlignmentLoss().part_mask(4) is None


def test_num_pairs_samples_per_set_and_is_reproducible():
    feats, valid, labels = random_case(9, [0, 0, 0, 1, 1, 1, 1, 2], num_parts=3)
    valid[:] = True
    terms = pair_terms(feats, valid, labels.tolist())
    set0 = [v for (j, _), v in terms.items() if labels[j] == 0]  # 3 pairs
    set1 = [v for (j, _), v in terms.items() if labels[j] == 1]  # 6 pairs
    loss_fn = EnforcedIntraClassAlignmentLoss(num_pairs=1)
    seen = set()
    for seed in range(40):
        torch.manual_seed(seed)
        got = loss_fn(feats, valid, labels)
        torch.manual_seed(seed)
        assert float(loss_fn(feats, valid, labels)) == float(got)  # reproducible
        combos = {(a, b): (set0[a] + set1[b]) / 2 for a in range(3) for b in range(6)}
        match = [key for key, value in combos.items() if abs(float(value) - float(got)) < 1e-9]
        assert len(match) == 1  # one pair of each set, mean over the two sampled pairs
        seen.add(match[0])
    assert len({a for a, _ in seen}) == 3 and len({b for _, b in seen}) >= 5  # all drawn


def test_num_pairs_gradient_touches_one_pair_per_set():
    feats, valid, labels = random_case(10, [0, 0, 0, 0, 1, 1, 1], num_parts=2)
    valid[:] = True
    feats.requires_grad_()
    torch.manual_seed(0)
    EnforcedIntraClassAlignmentLoss(num_pairs=1)(feats, valid, labels).backward()
    touched = feats.grad.abs().sum(dim=(1, 2)) > 0
    assert int(touched[:4].sum()) == 2 and int(touched[4:].sum()) == 2


def test_num_pairs_above_pair_count_keeps_all_and_two_of_six():
    feats, valid, labels = random_case(11, [0, 0, 0, 0, 1, 1], num_parts=3)
    valid[:] = True
    full = enforced_intra_class_alignment_loss(feats, valid, labels)
    torch.testing.assert_close(
        EnforcedIntraClassAlignmentLoss(num_pairs=6)(feats, valid, labels), full)
    terms = pair_terms(feats, valid, labels.tolist())
    set0 = [v for (j, _), v in terms.items() if labels[j] == 0]
    set1 = terms[(4, 5)]
    torch.manual_seed(3)
    got = EnforcedIntraClassAlignmentLoss(num_pairs=2)(feats, valid, labels)
    options = [float((a + b + set1) / 3) for a, b in itertools.combinations(set0, 2)]
    assert min(abs(o - float(got)) for o in options) < 1e-9


def test_identical_embeddings_and_gradcheck():
    feats = torch.ones(4, 3, 2, requires_grad=True)
    valid = torch.ones(4, 3, dtype=torch.bool)
    labels = torch.tensor([0, 0, 1, 1])
    loss = EnforcedIntraClassAlignmentLoss()(feats, valid, labels)
    loss.backward()
    assert loss.item() == 0.0 and torch.isfinite(feats.grad).all()
    double, valid, labels = random_case(12, [0, 0, 1, 1, 1], num_parts=3, dim=2)
    double.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda f: enforced_intra_class_alignment_loss(f, valid, labels), (double, ))


def test_bad_inputs_raise_clear_errors():
    feats = torch.randn(4, 3, 2)
    valid = torch.ones(4, 3, dtype=torch.bool)
    labels = torch.tensor([0, 0, 1, 1])
    loss = EnforcedIntraClassAlignmentLoss()
    with pytest.raises(ValueError, match=r'part_feats must be \[B, N_part, K\]'):
        loss(feats[0], valid, labels)
    with pytest.raises(ValueError, match=r'part_valid must be \[B, N_part\] = \[4, 3\]'):
        loss(feats, valid[:, :2], labels)
    with pytest.raises(TypeError, match='part_valid must be a bool tensor'):
        loss(feats, valid.float(), labels)
    with pytest.raises(ValueError, match=r'labels must be \[B\] with B = 4'):
        loss(feats, valid, labels[:3])
    with pytest.raises(ValueError, match='does not fit the 3 parts'):
        EnforcedIntraClassAlignmentLoss(top_parts=4)(feats, valid, labels)
    with pytest.raises(ValueError, match='does not fit the 3 parts'):
        EnforcedIntraClassAlignmentLoss(top_parts=1, part_priority=[5])(feats, valid, labels)
    with pytest.raises(ValueError, match='distinct non-negative'):
        EnforcedIntraClassAlignmentLoss(top_parts=2, part_priority=[1, 1])
    with pytest.raises(ValueError, match='fewer than top_parts=3'):
        EnforcedIntraClassAlignmentLoss(top_parts=3, part_priority=[0, 1])
    with pytest.raises(ValueError, match='num_pairs must be >= 1'):
        EnforcedIntraClassAlignmentLoss(num_pairs=0)
    with pytest.raises(ValueError, match='top_parts must be >= 1'):
        EnforcedIntraClassAlignmentLoss(top_parts=0)


def test_built_from_registry():
    loss = MODELS.build(dict(type='EnforcedIntraClassAlignmentLoss', num_pairs=1, top_parts=2,
                             part_priority=[2, 0], loss_weight=0.3))
    assert isinstance(loss, EnforcedIntraClassAlignmentLoss)
    assert (loss.num_pairs, loss.top_parts, loss.part_priority, loss.loss_weight) == (1, 2,
                                                                                     [2, 0], 0.3)


@pytest.mark.parametrize('seed', [0, 1])
def test_part_alignment_ratio_matches_a_pair_loop(seed):
    feats, valid, labels = random_case(seed, [4, 4, 4, 9, 9, 9, 1, 1, 1])
    sums = {True: [0.0, 0], False: [0.0, 0]}  # same label -> [summed distance, count]
    for j, k in itertools.combinations(range(len(labels)), 2):
        for i in range(feats.shape[1]):
            if valid[j, i] and valid[k, i]:
                entry = sums[bool(labels[j] == labels[k])]
                entry[0] += float(((feats[j, i] - feats[k, i])**2).sum())
                entry[1] += 1
    expected = (sums[True][0] / sums[True][1]) / (sums[False][0] / sums[False][1])
    assert float(part_alignment_ratio(feats, valid, labels)) == pytest.approx(expected,
                                                                              rel=1e-12)
    # about 1 for random vectors, 0 for classes whose parts are identical
    aligned = feats[[0, 0, 0, 3, 3, 3, 6, 6, 6]]
    assert float(part_alignment_ratio(aligned, torch.ones_like(valid), labels)) == 0.0
    with pytest.raises(ValueError, match='EIAL: labels must be'):
        part_alignment_ratio(feats, valid, labels[:3])
