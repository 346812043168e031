"""CCL and MCCL against a plain per-set, per-sample float64 reference."""
import pytest
import torch

from mmdet.registry import MODELS

import eianet_mm  # noqa: F401  (registration)
from eianet_mm.models.losses import (CoupledClusterLoss, ModifiedCoupledClusterLoss,
                                     coupled_cluster_diagnostics, coupled_cluster_loss,
                                     nearest_negative_same_coarse_share)


def reference_ccl(feats, labels, margin, coarse=None, hard_margin=0.0, detach_center=False):
    """Eq. 4-6 written plainly: loops over the positive sets and their samples."""
    labels = labels.tolist()
    set_losses = []
    for label in sorted(set(labels)):
        members = [i for i, y in enumerate(labels) if y == label]
        others = [i for i, y in enumerate(labels) if y != label]
        if len(members) < 2 or not others:
            continue
        center = sum(feats[i] for i in members) / len(members)
        if detach_center:
            center = center.detach()
        dists = [((feats[n] - center)**2).sum() for n in others]
        best = min(range(len(others)), key=lambda j: float(dists[j].detach()))
        g = dists[best]
        if coarse is not None and coarse[others[best]] == coarse[members[0]] >= 0:
            g = g - hard_margin
        loss = 0
        for i in members:
            loss = loss + 0.5 * torch.clamp(((feats[i] - center)**2).sum() + margin - g, min=0)
        set_losses.append(loss)
    if not set_losses:
        return feats.sum() * 0
    return sum(set_losses) / len(set_losses)


LAYOUTS = [
    [0, 0, 1, 1, 2, 2],
    [0, 0, 0, 1, 1, 2],  # label 2 is a singleton: a negative only
    [3, 1, 3, 1, 1, 7, 7, 7],  # unsorted, unequal set sizes
    [0, 1, 2, 0],  # one positive set
    [5, 5, 5, 5, 9, 9, 9, 9, 2, 2, 2, 2],
]


@pytest.mark.parametrize('layout', LAYOUTS)
@pytest.mark.parametrize('margin', [0.5, 4.0])
def test_ccl_matches_reference(layout, margin):
    gen = torch.Generator().manual_seed(len(layout))
    feats = torch.randn(len(layout), 5, generator=gen, dtype=torch.float64)
    labels = torch.tensor(layout)
    expected = reference_ccl(feats, labels, margin)
    got = coupled_cluster_loss(feats, labels, margin=margin)
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    assert float(expected) > 0  # the layouts are chosen so that some hinge is active
    weighted = CoupledClusterLoss(margin=margin, loss_weight=0.5)(feats.float(), labels)
    torch.testing.assert_close(weighted, 0.5 * expected.float(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('detach_center', [False, True])
def test_ccl_gradients_match_reference(detach_center):
    gen = torch.Generator().manual_seed(3)
    base = torch.randn(8, 4, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 3])
    feats = base.clone().requires_grad_()
    ref_feats = base.clone().requires_grad_()
    coupled_cluster_loss(feats, labels, margin=3.0, detach_center=detach_center).backward()
    reference_ccl(ref_feats, labels, 3.0, detach_center=detach_center).backward()
    torch.testing.assert_close(feats.grad, ref_feats.grad, rtol=1e-10, atol=1e-12)
    assert torch.isfinite(feats.grad).all()


def test_detach_center_changes_gradients_not_value():
    gen = torch.Generator().manual_seed(4)
    base = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    grads, values = [], []
    for detach in (False, True):
        feats = base.clone().requires_grad_()
        loss = CoupledClusterLoss(margin=5.0, detach_center=detach)(feats, labels)
        loss.backward()
        grads.append(feats.grad)
        values.append(loss.detach())
    torch.testing.assert_close(values[0], values[1])
    assert not torch.allclose(grads[0], grads[1])


def test_gradients_reach_members_and_nearest_negative():
    feats = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.6, 0.1], [5.0, 5.0]], requires_grad=True)
    labels = torch.tensor([0, 0, 1, 2])
    loss = coupled_cluster_loss(feats, labels, margin=1.0)
    loss.backward()
    # centre (0.5, 0); n* = sample 2 (distance 0.02); sample 3 is too far to matter.
    assert loss.item() == pytest.approx(0.5 * 2 * (0.25 + 1.0 - 0.02), rel=1e-6)
    assert feats.grad[:3].abs().sum(dim=1).gt(0).all()
    assert torch.equal(feats.grad[3], torch.zeros(2))


@pytest.mark.parametrize('layout', [[0, 1, 2, 3], [4, 4, 4], [7], []])
def test_no_positive_set_or_no_negative_gives_connected_zero(layout):
    feats = torch.randn(len(layout), 3, requires_grad=True)
    labels = torch.tensor(layout, dtype=torch.long)
    for loss_fn, extra in ((CoupledClusterLoss(), ()),
                           (ModifiedCoupledClusterLoss(), (torch.zeros_like(labels), ))):
        loss = loss_fn(feats, labels, *extra)
        assert loss.shape == () and loss.item() == 0.0
        loss.backward()
        assert feats.grad is not None and torch.equal(feats.grad, torch.zeros_like(feats))
        feats.grad = None


def test_huge_margin_stays_finite():
    feats = torch.randn(8, 6, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    loss = CoupledClusterLoss(margin=1e30)(feats, labels)
    assert torch.isfinite(loss) and loss.item() == pytest.approx(0.5 * 2 * 1e30, rel=1e-4)
    loss.backward()
    assert torch.isfinite(feats.grad).all() and feats.grad.abs().sum() > 0


def test_identical_embeddings_stay_finite():
    feats = torch.ones(6, 4, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    coarse = torch.tensor([0, 0, 0, 0, 1, 1])
    loss = ModifiedCoupledClusterLoss(margin=0.3, hard_margin=0.2)(feats, labels, coarse)
    # Every distance is 0: each set's n* is the lowest-index other sample.
    # Sets 0 and 1 find a same-model negative (margin 0.5), set 2 does not (0.3).
    assert loss.item() == pytest.approx((0.5 * 2 * 0.5 * 2 + 0.5 * 2 * 0.3) / 3)
    loss.backward()
    assert torch.isfinite(feats.grad).all()


def test_half_precision_is_safe():
    gen = torch.Generator().manual_seed(8)
    feats = torch.randn(8, 4, generator=gen, dtype=torch.float64) * 30
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    expected = reference_ccl(feats, labels, 100.0)
    got = coupled_cluster_loss(feats.half(), labels, margin=100.0)
    assert got.dtype == torch.float16 and torch.isfinite(got)
    assert float(got) == pytest.approx(float(expected), rel=1e-2)


def test_gradcheck_ccl_and_mccl():
    gen = torch.Generator().manual_seed(11)
    feats = torch.randn(6, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    coarse = torch.tensor([0, 0, 0, 0, 1, 1])
    assert torch.autograd.gradcheck(lambda f: coupled_cluster_loss(f, labels, 2.5), (feats, ))
    assert torch.autograd.gradcheck(
        lambda f: coupled_cluster_loss(f, labels, 2.5, coarse_labels=coarse, hard_margin=0.7),
        (feats, ))


def test_mccl_hard_negative_branch():
    # Set 0 (model 5) has centre (0.5, 0). Its nearest negative is label 1 (model 5, same
    # model other year) at distance 0.5^2 = 0.25; label 2 (model 6) is farther.
    feats = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.5, 0.5], [0.5, 1.5], [0.5, -3.0],
                          [0.5, -3.2]], dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    coarse = torch.tensor([5, 5, 5, 5, 6, 6])
    alpha, beta = 1.0, 0.6
    loss = ModifiedCoupledClusterLoss(margin=alpha, hard_margin=beta)(feats, labels, coarse)
    expected = reference_ccl(feats, labels, alpha, coarse.tolist(), beta)
    torch.testing.assert_close(loss, expected)
    # Set 0 by hand: two members at squared distance 0.25, g = 0.25 - beta.
    set0 = 0.5 * 2 * (0.25 + alpha - (0.25 - beta))
    # Set 1: centre (0.5, 1.0), members at 0.25, n* = sample 0 (label 0, model 5) at
    # 0.25 + 1.0: hard too.
    set1 = 0.5 * 2 * (0.25 + alpha - (1.25 - beta))
    # Set 2: centre (0.5, -3.1), members at 0.01, n* = sample 0 or 1 at 0.25 + 9.61: easy.
    set2 = 0.5 * 2 * max(0.0, 0.01 + alpha - (0.25 + 3.1**2))
    assert loss.item() == pytest.approx((set0 + set1 + set2) / 3)
    # With beta, set 0 and 1 use the effective margin alpha + beta: MCCL = CCL(alpha + beta).
    ccl_big = coupled_cluster_loss(feats, labels, margin=alpha + beta)
    assert loss.item() == pytest.approx(float(ccl_big))
    # Sets 0 and 1 are the hard ones: the diagnostic share is 2 / 3.
    assert float(nearest_negative_same_coarse_share(feats, labels, coarse)) == \
        pytest.approx(2 / 3)
    loss.backward()
    assert torch.isfinite(feats.grad).all() and feats.grad[:4].abs().sum(1).gt(0).all()


def test_mccl_uses_nearest_by_plain_distance_and_unknown_coarse():
    # The nearest negative of set 0 is of another model: no beta, even though a same-model
    # class (label 2) is in the batch.
    feats = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.5, 0.6], [0.5, 1.6], [0.5, -4.0],
                          [0.5, -4.2]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    coarse = torch.tensor([5, 5, 6, 6, 5, 5])
    got = coupled_cluster_loss(feats, labels, 1.0, coarse_labels=coarse, hard_margin=0.8)
    torch.testing.assert_close(got, reference_ccl(feats, labels, 1.0, coarse.tolist(), 0.8))
    torch.testing.assert_close(got, coupled_cluster_loss(feats, labels, 1.0))
    # Unknown (-1) coarse labels never count as the same model.
    unknown = torch.full_like(labels, -1)
    nearest_same = torch.tensor([5, 5, 5, 5, 6, 6])
    plain = coupled_cluster_loss(feats, labels, 1.0)
    assert float(coupled_cluster_loss(feats, labels, 1.0, coarse_labels=unknown,
                                      hard_margin=0.8)) == float(plain)
    assert float(coupled_cluster_loss(
        feats, labels, 1.0, coarse_labels=nearest_same, hard_margin=0.8)) > float(plain)
    # Only set 2 (model 5) has a same-model nearest negative (sample 0, model 5).
    share = nearest_negative_same_coarse_share
    assert float(share(feats, labels, coarse)) == pytest.approx(1 / 3)
    assert float(share(feats, labels, unknown)) == 0.0
    assert float(share(feats, labels, nearest_same)) == pytest.approx(2 / 3)
    assert float(share(feats[:2], labels[:2], coarse[:2])) == 0.0  # no negative at all


@pytest.mark.parametrize('layout', LAYOUTS)
def test_mccl_matches_reference_random(layout):
    gen = torch.Generator().manual_seed(100 + len(layout))
    feats = torch.randn(len(layout), 4, generator=gen, dtype=torch.float64)
    labels = torch.tensor(layout)
    coarse = labels % 2  # classes of equal parity share a model
    got = ModifiedCoupledClusterLoss(margin=0.5, hard_margin=2.0)(feats, labels, coarse)
    expected = reference_ccl(feats, labels, 0.5, coarse.tolist(), 2.0)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


def test_bad_inputs_raise_clear_errors():
    feats = torch.randn(4, 3)
    with pytest.raises(ValueError, match=r'feats must be \[B, D\]'):
        coupled_cluster_loss(feats[0], torch.tensor([0, 0, 1]))
    with pytest.raises(ValueError, match=r'labels must be \[B\] with B = 4'):
        coupled_cluster_loss(feats, torch.tensor([0, 0, 1]))
    with pytest.raises(TypeError, match='integer'):
        coupled_cluster_loss(feats, torch.tensor([0.0, 0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r'coarse_labels must be \[B\]'):
        ModifiedCoupledClusterLoss()(feats, torch.tensor([0, 0, 1, 1]), torch.tensor([0]))
    with pytest.raises(ValueError, match=r'different coarse_labels \[0, 3\]'):
        ModifiedCoupledClusterLoss()(feats, torch.tensor([0, 0, 1, 1]),
                                     torch.tensor([0, 3, 1, 1]))


def test_built_from_registry():
    ccl = MODELS.build(dict(type='CoupledClusterLoss', margin=2.0, loss_weight=0.5))
    mccl = MODELS.build(dict(type='ModifiedCoupledClusterLoss', margin=1.0, hard_margin=0.5,
                             detach_center=True))
    assert isinstance(ccl, CoupledClusterLoss) and ccl.margin == 2.0 and ccl.loss_weight == 0.5
    assert isinstance(mccl, ModifiedCoupledClusterLoss) and mccl.detach_center
    assert mccl.hard_margin == 0.5


def reference_codetected_ccl(feats, labels, margin, num_parts, part_dims, coarse=None,
                             hard_margin=0.0):
    """The CCL / MCCL with the co-detected distance, written plainly with loops."""
    split = num_parts * part_dims

    def unit(v):
        return v / v.norm() if v.abs().sum() > 0 else v

    def part(f, j):
        return f[j * part_dims:(j + 1) * part_dims]

    def dist(f, centre_parts, centre_global):
        terms = [((unit(part(f, j)) - centre_parts[j])**2).sum() for j in range(num_parts)
                 if part(f, j).abs().sum() > 0 and centre_parts[j] is not None]
        part_term = sum(terms) / len(terms) if terms else torch.tensor(2.0, dtype=f.dtype)
        if f.numel() == split:
            return part_term
        global_term = ((unit(f[split:]) - centre_global)**2).sum()
        return (part_term + global_term) / 2 if terms else global_term

    labels = labels.tolist()
    set_losses = []
    for label in sorted(set(labels)):
        members = [i for i, y in enumerate(labels) if y == label]
        others = [i for i, y in enumerate(labels) if y != label]
        if len(members) < 2 or not others:
            continue
        centre_parts = []
        for j in range(num_parts):
            seen = [unit(part(feats[i], j)) for i in members if part(feats[i], j).abs().sum() > 0]
            centre_parts.append(sum(seen) / len(seen) if seen else None)
        centre_global = sum(unit(feats[i][split:]) for i in members) / len(members)
        dists = [dist(feats[n], centre_parts, centre_global) for n in others]
        best = min(range(len(others)), key=lambda k: float(dists[k].detach()))
        g = dists[best]
        if coarse is not None and coarse[others[best]] == coarse[members[0]] >= 0:
            g = g - hard_margin
        set_losses.append(sum(
            0.5 * torch.clamp(dist(feats[i], centre_parts, centre_global) + margin - g, min=0)
            for i in members))
    return sum(set_losses) / len(set_losses)


@pytest.mark.parametrize('global_dims', [3, 0])
def test_codetected_ccl_and_mccl_match_reference(global_dims):
    gen = torch.Generator().manual_seed(7)
    num_parts, part_dims = 3, 2
    layout = [0, 0, 0, 1, 1, 2, 2, 3]
    feats = torch.rand(len(layout), num_parts * part_dims + global_dims, generator=gen,
                       dtype=torch.float64)
    parts = feats[:, :num_parts * part_dims].view(len(layout), num_parts, part_dims)
    parts[torch.rand(len(layout), num_parts, generator=gen) < 0.4] = 0  # missed parts
    parts[3] = 0  # a sample with no part: the global term alone (2 without one)
    feats.requires_grad_(True)
    labels = torch.tensor(layout)
    coarse = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1])
    distance = f'codetected:{num_parts}x{part_dims}'
    ccl = CoupledClusterLoss(margin=0.7, distance=distance)(feats, labels)
    torch.testing.assert_close(
        ccl, reference_codetected_ccl(feats, labels, 0.7, num_parts, part_dims))
    mccl = ModifiedCoupledClusterLoss(margin=0.7, hard_margin=0.9, distance=distance)(
        feats, labels, coarse)
    expected = reference_codetected_ccl(feats, labels, 0.7, num_parts, part_dims,
                                        coarse.tolist(), 0.9)
    torch.testing.assert_close(mccl, expected)
    mccl.backward()
    assert torch.isfinite(feats.grad).all() and feats.grad.abs().sum() > 0
    # a scaled part vector or global vector changes nothing (each is normalised)
    scaled = feats.detach().clone()
    scaled[:, :part_dims] *= 5
    scaled[:, num_parts * part_dims:] *= 0.1
    torch.testing.assert_close(CoupledClusterLoss(margin=0.7, distance=distance)(scaled, labels),
                               ccl.detach())


def test_codetected_distance_errors():
    with pytest.raises(ValueError, match="distance must be 'euclidean' or 'codetected:NxK', "
                       "got 'cosine'"):
        CoupledClusterLoss(distance='cosine')
    with pytest.raises(ValueError, match=r"needs feats of at least 12 values, got 10"):
        coupled_cluster_loss(torch.zeros(4, 10), torch.tensor([0, 0, 1, 1]),
                             distance='codetected:3x4')


def test_codetected_ccl_propagates_a_nan_part_vector():
    """A NaN part vector is not mistaken for a missed part: the loss is NaN, so training stops."""
    feats = torch.rand(4, 2 * 3 + 2)
    feats[0, :3] = float('nan')
    loss = coupled_cluster_loss(feats, torch.tensor([0, 0, 1, 1]), distance='codetected:2x3')
    assert torch.isnan(loss)


def test_codetected_ccl_sends_no_gradient_to_a_missed_part():
    feats = torch.rand(4, 2 * 3 + 2, dtype=torch.float64)
    feats[1, 3:6] = 0  # sample 1 missed part 1
    feats.requires_grad_(True)
    coupled_cluster_loss(feats, torch.tensor([0, 0, 1, 1]), margin=5.0,
                         distance='codetected:2x3').backward()
    assert torch.equal(feats.grad[1, 3:6], torch.zeros(3, dtype=torch.float64))
    assert feats.grad[1, :3].abs().sum() > 0 and feats.grad[0, 3:6].abs().sum() > 0


def reference_sets(feats, layout, coarse):
    """Per positive set with a negative: its members, every sample's squared distance to its
    centre, and whether its nearest negative n* has the set's coarse label (plain loops)."""
    for label in sorted(set(layout)):
        members = [i for i, y in enumerate(layout) if y == label]
        others = [i for i, y in enumerate(layout) if y != label]
        if len(members) < 2 or not others:
            continue
        centre = feats[members].mean(0)
        dist = {n: float(((feats[n] - centre)**2).sum()) for n in range(len(layout))}
        nearest = min(others, key=dist.get)
        yield members, dist, nearest, bool(coarse[nearest] == coarse[members[0]])


@pytest.mark.parametrize('layout', LAYOUTS)
def test_zero_distance_value_matches_a_set_loop(layout):
    gen = torch.Generator().manual_seed(len(layout) + 1)
    feats = torch.randn(len(layout), 5, generator=gen, dtype=torch.float64)
    labels = torch.tensor(layout)
    coarse = labels // 2
    margin, hard_margin = 0.7, 2.5
    # 1/2 * |S| * (margin + hard_margin * [n* of the set's model])
    expected = [0.5 * len(members) * (margin + hard_margin * same)
                for members, _, _, same in reference_sets(feats, layout, coarse)]
    got = coupled_cluster_diagnostics(feats, labels, margin, coarse, hard_margin)
    assert float(got['zero_distance_value']) == pytest.approx(sum(expected) / len(expected),
                                                              abs=1e-12)
    assert torch.equal(got['same_coarse_share'],
                       nearest_negative_same_coarse_share(feats, labels, coarse))
    plain = coupled_cluster_diagnostics(feats, labels, margin)
    assert 'same_coarse_share' not in plain
    assert float(plain['zero_distance_value']) == pytest.approx(
        sum(0.5 * layout.count(y) * margin for y in set(layout) if layout.count(y) > 1)
        / sum(1 for y in set(layout) if layout.count(y) > 1), abs=1e-12)


def test_zero_distance_value_is_the_loss_of_a_collapsed_embedding():
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2])
    coarse = torch.tensor([0, 0, 0, 0, 0, 1, 1])
    feats = torch.ones(7, 4, dtype=torch.float64)
    for kwargs in (dict(), dict(coarse_labels=coarse, hard_margin=3.0)):
        value = coupled_cluster_diagnostics(feats, labels, 1.5, **kwargs)['zero_distance_value']
        assert value == coupled_cluster_loss(feats, labels, 1.5, **kwargs)
    # no positive set: zeros, as the loss
    empty = coupled_cluster_diagnostics(feats[:3], torch.tensor([0, 1, 2]),
                                        coarse_labels=coarse[:3])
    assert set(empty) == {'active_share', 'zero_distance_value', 'same_coarse_share'}
    assert all(float(v) == 0 for v in empty.values())


@pytest.mark.parametrize('layout', LAYOUTS)
def test_active_share_matches_a_member_loop(layout):
    gen = torch.Generator().manual_seed(len(layout) + 2)
    feats = torch.randn(len(layout), 5, generator=gen, dtype=torch.float64)
    labels = torch.tensor(layout)
    coarse = labels // 2
    for margin, hard_margin in ((0.5, 1.5), (3.0, 0.0), (40.0, 0.0)):
        active = []  # per member: |f_i - c|^2 + margin - g > 0
        for members, dist, nearest, same in reference_sets(feats, layout, coarse):
            g = dist[nearest] - hard_margin * same
            active += [dist[i] + margin - g > 0 for i in members]
        got = coupled_cluster_diagnostics(feats, labels, margin, coarse, hard_margin)
        assert float(got['active_share']) == pytest.approx(sum(active) / len(active), abs=1e-12)
    # a margin above every distance gap: every hinge is active
    assert float(coupled_cluster_diagnostics(feats, labels, 1e6)['active_share']) == 1.0


def test_with_every_hinge_active_the_margins_do_not_change_the_gradient():
    gen = torch.Generator().manual_seed(5)
    feats = torch.randn(8, 3, generator=gen, dtype=torch.float64)
    labels, coarse = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3]), torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    grads = []
    for margin, hard_margin in ((50.0, 0.0), (60.0, 5.0)):
        x = feats.clone().requires_grad_(True)
        diagnostics = coupled_cluster_diagnostics(x, labels, margin, coarse, hard_margin)
        assert float(diagnostics['active_share']) == 1
        coupled_cluster_loss(x, labels, margin, coarse_labels=coarse,
                             hard_margin=hard_margin).backward()
        grads.append(x.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-12, atol=1e-12)
