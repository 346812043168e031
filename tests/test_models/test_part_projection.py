"""PartProjection: exact values against a per-part loop, identity at the start, missed parts
zero, gradients, errors; in EIANet: trained in stage 2, frozen in stage 1, the predicted part
features are the projection of the R-MAC vectors."""
import pytest
import torch
from model_fixtures import NUM_PARTS, PART_DIMS, build, make_batch, set_part_logits, tiny_cfg

from eianet_mm.models.necks import PartProjection, RMACPooling


def random_projection(num_parts: int = 3, channels: int = 5, seed: int = 0) -> PartProjection:
    proj = PartProjection(num_parts, channels)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        proj.weight.copy_(torch.randn(proj.weight.shape, generator=gen))
        proj.bias.copy_(torch.randn(proj.bias.shape, generator=gen))
    return proj


def test_values_against_a_per_part_loop():
    proj = random_projection()
    feats = torch.randn(4, 3, 5)
    valid = torch.tensor([[True, False, True], [True, True, True], [False, False, False],
                          [False, True, False]])
    out = proj(feats, valid)
    for b in range(4):
        for j in range(3):
            expected = (feats[b, j] @ proj.weight[j] + proj.bias[j] if valid[b, j] else
                        torch.zeros(5))
            assert torch.allclose(out[b, j], expected, atol=1e-6), (b, j)


def test_starts_as_the_identity_and_keeps_missed_parts_zero():
    proj = PartProjection(num_parts=3, channels=5)
    feats = torch.randn(2, 3, 5)
    valid = torch.tensor([[True, False, True], [False, True, True]])
    assert torch.equal(proj(feats, valid), feats * valid[..., None])


def test_gradients_come_from_detected_parts_only():
    proj = random_projection()
    feats = torch.randn(2, 3, 5, requires_grad=True)
    valid = torch.tensor([[True, False, False], [True, True, False]])
    proj(feats, valid).pow(2).sum().backward()
    assert proj.weight.grad[:2].abs().sum() > 0 and proj.bias.grad[:2].abs().sum() > 0
    assert torch.equal(proj.weight.grad[2], torch.zeros(5, 5))
    assert torch.equal(proj.bias.grad[2], torch.zeros(5))
    assert torch.equal(feats.grad[0, 1], torch.zeros(5)) and feats.grad[0, 0].abs().sum() > 0


def test_errors():
    with pytest.raises(ValueError, match='num_parts >= 1 and channels >= 1'):
        PartProjection(0, 5)
    proj = PartProjection(3, 5)
    with pytest.raises(ValueError, match=r'part features \[B, 3, 5\], got \(2, 4, 5\)'):
        proj(torch.zeros(2, 4, 5), torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r'valid \[B, N\] = \(2, 3\), got \(2, 4\)'):
        proj(torch.zeros(2, 3, 5), torch.ones(2, 4, dtype=torch.bool))


def with_projection(**overrides) -> dict:
    return tiny_cfg(part_projection=dict(type='PartProjection'), **overrides)


def test_detector_predicts_the_projected_rmac_vectors():
    model = build(with_projection())
    assert (model.part_projection.num_parts, model.part_projection.channels) == (NUM_PARTS,
                                                                                 PART_DIMS)
    with torch.no_grad():
        model.part_projection.weight.normal_()
        model.part_projection.bias.normal_()
    set_part_logits(model, [True, False, True, True])
    model.eval()
    data = make_batch(model, labels=(0, 1), training=False)
    with torch.no_grad():
        results = model(**data, mode='predict')
        branches = model._branches(data['inputs'], [d.metainfo for d in data['data_samples']])
        raw = RMACPooling()(model.rpn_head.conv_features(model.extract_feat(data['inputs'])),
                            branches['boxes'], branches['part_valid'], model.rpn_head.stride)
    expected = torch.einsum('bnk,nkj->bnj', raw, model.part_projection.weight) + \
        model.part_projection.bias
    expected[:, 1] = 0
    assert torch.allclose(torch.stack([r.part_features for r in results]), expected, atol=1e-5)


def test_detector_trains_it_in_stage_two_and_freezes_it_in_stage_one():
    stage1 = build(with_projection(stage='part_rpn'), seed=1)
    assert not any(p.requires_grad for p in stage1.part_projection.parameters())
    model = build(tiny_cfg(), seed=1)  # a checkpoint without the projection
    projected = build(with_projection(), seed=2)
    projected.load_state_dict(model.state_dict(), strict=False)
    assert torch.equal(projected.part_projection.weight,
                       torch.eye(PART_DIMS).repeat(NUM_PARTS, 1, 1))
    set_part_logits(projected, [True] * NUM_PARTS)
    projected.train()
    losses = projected(**make_batch(projected), mode='loss')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert projected.part_projection.weight.grad.abs().sum() > 0
    assert projected.part_projection.bias.grad.abs().sum() > 0


def test_detector_config_error_without_rmac():
    with pytest.raises(ValueError, match='part_projection maps the R-MAC part vectors'):
        build(with_projection(rpn_head=None, rmac=None, metric_head=dict(
            type='MetricHead', loss_rmac=None, loss_align=None)))
