"""Whole-model numerics of stage-2 training on degenerate batches (tests/test_losses cover
each loss alone): a batch with no positive pair, one where no part is detected, one of
identical images, and huge margins give finite losses and gradients, and zero loss where
there is nothing to learn."""
import pytest
import torch

from eianet_mm.models.losses import ModifiedCoupledClusterLoss
from tests.test_models.model_fixtures import (NUM_PARTS, build, make_batch, set_part_logits,
                                              tiny_cfg)

LOSSES = ('loss_rmac', 'loss_global', 'loss_embed', 'loss_align')


def metric_head(normalize: bool, margin: float = 1.0, hard_margin: float = 1.0) -> dict:
    return dict(
        type='MetricHead',
        loss_rmac=dict(type='CoupledClusterLoss', margin=margin, loss_weight=0.5),
        loss_global=dict(type='CoupledClusterLoss', margin=margin, loss_weight=0.5),
        loss_embed=dict(type='ModifiedCoupledClusterLoss', margin=margin,
                        hard_margin=hard_margin, loss_weight=1.0),
        loss_align=dict(type='EnforcedIntraClassAlignmentLoss', loss_weight=1.0),
        normalize=normalize)


def losses_and_grads(model, batch, terms=LOSSES):
    """The losses, then the gradients of the sum of ``terms`` on the trainable parameters."""
    model.train()
    model.zero_grad()
    losses = model(**batch, mode='loss')
    sum(losses[t] for t in terms).backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.requires_grad}
    return losses, grads


@pytest.mark.parametrize('normalize', [False, True])
def test_no_positive_pair_gives_zero_losses_and_gradients(normalize):
    model = build(tiny_cfg(metric_head=metric_head(normalize)))
    set_part_logits(model, [True] * NUM_PARTS)
    losses, grads = losses_and_grads(model, make_batch(model, labels=(0, 1, 2, 3)))
    assert {t: float(losses[t]) for t in LOSSES} == dict.fromkeys(LOSSES, 0.0)
    for name, grad in grads.items():
        assert grad is not None and not grad.any(), name


@pytest.mark.parametrize('normalize', [False, True])
def test_no_detected_part_gives_finite_losses_and_no_part_gradient(normalize):
    # unnormalised, a margin beyond every distance of the random features, so that the global
    # and embedding losses are active whatever the scale of the branches' initialisation
    margin = 1.0 if normalize else 1e3
    model = build(tiny_cfg(metric_head=metric_head(normalize, margin, margin)))
    set_part_logits(model, [False] * NUM_PARTS)
    batch = make_batch(model, labels=(0, 0, 1, 1))
    losses, grads = losses_and_grads(model, batch)
    assert float(losses['part_detected']) == 0.0
    assert float(losses['loss_align']) == 0.0
    assert 'align_ratio' not in losses  # no co-detected part: no ratio (not a NaN in the log)
    assert all(torch.isfinite(losses[t]) for t in LOSSES)
    assert all(torch.isfinite(g).all() for g in grads.values())
    assert float(losses['loss_global']) > 0 and float(losses['loss_embed']) > 0
    # every R-MAC vector is zero: each member sits on its centre and on the negative, so
    # each of the 2 members of each set pays margin / 2; no parameter can change that
    assert float(losses['loss_rmac']) == pytest.approx(0.5 * 2 * 0.5 * margin)
    _, grads = losses_and_grads(model, batch, terms=('loss_rmac', 'loss_align'))
    assert any(g is not None for g in grads.values())
    for name, grad in grads.items():
        assert grad is None or not grad.any(), name


@pytest.mark.parametrize('normalize', [False, True])
def test_identical_images_give_finite_losses_and_gradients(normalize):
    model = build(tiny_cfg(metric_head=metric_head(normalize, margin=1.0, hard_margin=0.5)))
    set_part_logits(model, [True] * NUM_PARTS)
    batch = make_batch(model, labels=(0, 0, 1, 1), coarse=(0, 0, 0, 0))
    batch['inputs'] = batch['inputs'][:1].expand_as(batch['inputs']).contiguous()
    losses, grads = losses_and_grads(model, batch)
    # all embeddings equal: every distance is 0, each member pays margin / 2 (the embedding
    # loss adds the hard margin: the negative is the same model), nothing to align
    assert float(losses['loss_rmac']) == pytest.approx(0.5 * 2 * 0.5 * 1.0)
    assert float(losses['loss_global']) == pytest.approx(0.5 * 2 * 0.5 * 1.0)
    assert float(losses['loss_embed']) == pytest.approx(2 * 0.5 * 1.5)
    assert float(losses['loss_align']) == 0.0
    for name, grad in grads.items():
        assert grad is not None and torch.isfinite(grad).all(), name


@pytest.mark.parametrize('normalize', [False, True])
def test_huge_margins_stay_finite(normalize):
    model = build(tiny_cfg(metric_head=metric_head(normalize, margin=1e30, hard_margin=1e30)))
    set_part_logits(model, [True] * NUM_PARTS)
    losses, grads = losses_and_grads(model, make_batch(model, labels=(0, 0, 1, 1)))
    assert float(losses['loss_rmac']) == pytest.approx(0.5 * 2 * 0.5 * 1e30, rel=1e-4)
    assert float(losses['loss_global']) == pytest.approx(0.5 * 2 * 0.5 * 1e30, rel=1e-4)
    # one vehicle model in the batch: each negative is a hard one (margin + hard margin)
    assert float(losses['loss_embed']) == pytest.approx(2 * 0.5 * 2e30, rel=1e-4)
    for name, grad in grads.items():
        assert grad is not None and torch.isfinite(grad).all(), name
        assert grad.abs().max() < 1e6, name  # the margin is a constant: no huge gradient


def test_mccl_huge_hard_margin_stays_finite():
    feats = torch.tensor([[0.0, 0], [0, 0], [1, 0], [1, 0], [10, 0], [10, 0]],
                         requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    coarse = torch.tensor([0, 0, 0, 0, 1, 1])
    loss = ModifiedCoupledClusterLoss(margin=1e30, hard_margin=1e30)(feats, labels, coarse)
    # sets 0 and 1 are each other's nearest negatives, of the same model (margin + hard
    # margin per member); set 2's is another model (margin per member)
    assert float(loss) == pytest.approx((2 * 2e30 + 2 * 2e30 + 2 * 1e30) / 2 / 3, rel=1e-4)
    loss.backward()
    assert torch.isfinite(feats.grad).all()
