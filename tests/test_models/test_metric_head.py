"""MetricHead: the CR-MAC embedding and the wiring of each loss to its branch."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from eianet_mm.models.heads import MetricHead
from eianet_mm.models.losses import (CoupledClusterLoss, EnforcedIntraClassAlignmentLoss,
                                     ModifiedCoupledClusterLoss, coupled_cluster_diagnostics,
                                     part_alignment_ratio)
from mmdet.structures import DetDataSample


def samples(labels, coarse=None):
    out = []
    for i, label in enumerate(labels):
        sample = DetDataSample(metainfo=dict(id_label=label, img_path=f'{i}.jpg'))
        if coarse is not None:
            sample.set_metainfo(dict(coarse_label=coarse[i]))
        sample.gt_instances = InstanceData()
        out.append(sample)
    return out


def branch_feats(seed=0, batch=6, parts=3, dims=4, glob=5):
    gen = torch.Generator().manual_seed(seed)
    part_feats = torch.rand(batch, parts, dims, generator=gen)
    valid = torch.rand(batch, parts, generator=gen) > 0.3
    part_feats = part_feats * valid[..., None]
    return part_feats, valid, torch.randn(batch, glob, generator=gen)


def test_embedding_concatenates_parts_then_global():
    head = MetricHead()
    part_feats, _, global_feats = branch_feats()
    emb = head.predict(part_feats, global_feats)
    assert emb.shape == (6, 3 * 4 + 5)
    assert torch.equal(emb[:, :4], part_feats[:, 0]) and torch.equal(emb[:, 8:12],
                                                                       part_feats[:, 2])
    assert torch.equal(emb[:, 12:], global_feats)
    assert torch.equal(head.predict(None, global_feats), global_feats)
    assert torch.equal(head.predict(part_feats, None), part_feats.flatten(1))
    branches = head(part_feats, global_feats)
    assert torch.equal(branches.rmac, part_feats.flatten(1))
    assert torch.equal(branches.global_, global_feats) and torch.equal(branches.embedding, emb)


def test_normalize_gives_each_branch_the_same_weight():
    part_feats, _, global_feats = branch_feats()
    head = MetricHead(normalize=True)
    out = head(part_feats, global_feats)
    rmac, glob = F.normalize(part_feats.flatten(1), dim=1), F.normalize(global_feats, dim=1)
    assert torch.allclose(out.rmac, rmac) and torch.allclose(out.global_, glob)
    assert torch.allclose(out.embedding, torch.cat([rmac, glob], dim=1) / 2 ** 0.5)
    assert torch.allclose(out.embedding.norm(dim=1), torch.ones(6))
    assert torch.allclose(head.predict(None, global_feats), glob)
    # a sample whose parts were all missed keeps a zero R-MAC branch (no NaN)
    out = head(torch.zeros(2, 3, 4), global_feats[:2])
    assert torch.equal(out.rmac, torch.zeros(2, 12)) and torch.isfinite(out.embedding).all()


def test_each_loss_is_its_loss_on_its_branch():
    part_feats, valid, global_feats = branch_feats()
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    coarse = torch.tensor([0, 0, 0, 0, 1, 1])
    head = MetricHead(
        loss_embed=dict(type='ModifiedCoupledClusterLoss', margin=2.0, hard_margin=3.0,
                        loss_weight=1.0),
        loss_align=dict(type='EnforcedIntraClassAlignmentLoss', loss_weight=0.3))
    losses = head.loss(part_feats, valid, global_feats, samples(labels.tolist(),
                                                                 coarse.tolist()))
    assert set(losses) == {'loss_rmac', 'loss_global', 'loss_embed', 'loss_align',
                           'part_detected', 'embed_same_model_share', 'embed_collapse_ratio',
                           'embed_active_share', 'align_ratio'}
    ccl_half = CoupledClusterLoss(margin=1.0, loss_weight=0.5)
    emb = torch.cat([part_feats.flatten(1), global_feats], dim=1)
    assert torch.equal(losses['loss_rmac'], ccl_half(part_feats.flatten(1), labels))
    assert torch.equal(losses['loss_global'], ccl_half(global_feats, labels))
    mccl = ModifiedCoupledClusterLoss(margin=2.0, hard_margin=3.0)
    assert torch.equal(losses['loss_embed'], mccl(emb, labels, coarse))
    assert torch.equal(losses['loss_align'],
                       EnforcedIntraClassAlignmentLoss(loss_weight=0.3)(part_feats, valid,
                                                                        labels))
    assert float(losses['part_detected']) == pytest.approx(float(valid.float().mean()))
    # the share of sets whose nearest negative (to the set's centre) is the same model
    same = 0
    for label in range(3):
        centre = emb[labels == label].mean(0)
        dists = ((emb - centre) ** 2).sum(1).masked_fill(labels == label, float('inf'))
        same += int(coarse[dists.argmin()] == coarse[labels == label][0])
    assert float(losses['embed_same_model_share']) == pytest.approx(same / 3)
    # the MCCL over its value at zero distances, the mean over the sets of
    # 1/2 * 2 members * (margin 2.0 + hard margin 3.0 where n* is the same model)
    collapsed = 2.0 + 3.0 * same / 3
    assert float(losses['embed_collapse_ratio']) == pytest.approx(
        float(losses['loss_embed']) / collapsed)
    assert torch.equal(losses['align_ratio'], part_alignment_ratio(part_feats, valid, labels))
    assert torch.equal(losses['embed_active_share'],
                       coupled_cluster_diagnostics(emb, labels, 2.0, coarse, 3.0)['active_share'])
    diagnostics = {'part_detected', 'embed_same_model_share', 'embed_collapse_ratio',
                   'embed_active_share', 'align_ratio'}
    assert {k for k in losses if 'loss' not in k} == diagnostics  # not summed into the loss
    assert not any(losses[k].requires_grad for k in diagnostics)


def test_collapsed_embedding_has_collapse_ratio_one():
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    head = MetricHead(loss_rmac=None, loss_global=None, loss_align=None,
                      loss_embed=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=2.0))
    losses = head.loss_by_feat(None, None, torch.ones(6, 4), labels, labels)
    assert float(losses['loss_embed']) == 2.0 and float(losses['embed_collapse_ratio']) == 1.0
    assert float(losses['embed_active_share']) == 1.0
    assert 'embed_same_model_share' not in losses  # plain CCL: no coarse labels


def test_mccl_gets_the_coarse_labels():
    """The hard-negative margin changes the loss only through coarse_label."""
    part_feats, valid, global_feats = branch_feats(seed=2)
    labels = [0, 0, 1, 1, 2, 2]
    head = MetricHead(loss_rmac=None, loss_global=None, loss_align=None,
                      loss_embed=dict(type='ModifiedCoupledClusterLoss', margin=1.0,
                                      hard_margin=50.0))
    same_model = head.loss(part_feats, valid, global_feats, samples(labels, [0] * 6))
    other_models = head.loss(part_feats, valid, global_feats, samples(labels, [0, 0, 1, 1, 2, 2]))
    unknown = head.loss(part_feats, valid, global_feats, samples(labels))  # coarse -1
    assert float(same_model['loss_embed']) > float(other_models['loss_embed']) + 10
    assert torch.equal(other_models['loss_embed'], unknown['loss_embed'])
    # every nearest negative is the same model / another model / of unknown model
    assert float(same_model['embed_same_model_share']) == 1.0
    assert float(other_models['embed_same_model_share']) == 0.0
    assert float(unknown['embed_same_model_share']) == 0.0


def test_normalize_applies_to_every_loss_but_classification():
    part_feats, valid, global_feats = branch_feats()
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    head = MetricHead(normalize=True)
    losses = head.loss_by_feat(part_feats, valid, global_feats, labels, labels)
    rmac, glob = F.normalize(part_feats.flatten(1), dim=1), F.normalize(global_feats, dim=1)
    emb = torch.cat([rmac, glob], dim=1) / 2 ** 0.5
    assert torch.allclose(losses['loss_embed'], CoupledClusterLoss()(emb, labels))
    assert torch.allclose(losses['loss_rmac'],
                          CoupledClusterLoss(loss_weight=0.5)(rmac, labels))
    assert torch.allclose(losses['loss_global'],
                          CoupledClusterLoss(loss_weight=0.5)(glob, labels))
    assert torch.allclose(losses['loss_align'], EnforcedIntraClassAlignmentLoss()(
        rmac.view(6, 3, 4), valid, labels))


def test_losses_can_be_disabled_and_gradients_flow():
    part_feats, valid, global_feats = branch_feats()
    global_feats.requires_grad_(True)
    head = MetricHead(loss_rmac=None, loss_align=None,
                      loss_embed=dict(type='CoupledClusterLoss', margin=100.0))
    losses = head.loss(None, None, global_feats, samples([0, 0, 1, 1, 2, 2]))
    assert set(losses) == {'loss_global', 'loss_embed', 'embed_collapse_ratio',
                           'embed_active_share'}
    (losses['loss_global'] + losses['loss_embed']).backward()
    assert global_feats.grad is not None and global_feats.grad.abs().sum() > 0


def test_classification_loss_for_the_fc_network():
    torch.manual_seed(0)
    head = MetricHead(loss_rmac=None, loss_global=None, loss_embed=None, loss_align=None,
                      loss_cls=dict(type='CrossEntropyLoss'), num_classes=3, embed_dims=5)
    global_feats = torch.randn(4, 5)
    labels = torch.tensor([0, 2, 1, 2])
    losses = head.loss(None, None, global_feats, samples(labels.tolist()))
    assert set(losses) == {'loss_cls'}
    expected = F.cross_entropy(head.fc_cls(global_feats), labels)
    assert torch.allclose(losses['loss_cls'], expected)
    with pytest.raises(ValueError, match=r'id_label must be in 0\.\.2'):
        head.loss(None, None, global_feats, samples([0, 1, 3, 3]))
    with pytest.raises(ValueError, match='num_classes and embed_dims'):
        MetricHead(loss_cls=dict(type='CrossEntropyLoss'), num_classes=3)


def test_classification_loss_per_branch_is_the_mean_of_the_branch_losses():
    part_feats, valid, global_feats = branch_feats()
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    head = MetricHead(loss_rmac=None, loss_global=None, loss_embed=None, loss_align=None,
                      loss_cls=dict(type='CrossEntropyLoss'), num_classes=3, embed_dims=12 + 5,
                      rmac_dims=12, cls_per_branch=True, normalize=True)
    assert [fc.in_features for fc in head.fc_cls_branches] == [12, 5]
    part_feats.requires_grad_(True)
    losses = head.loss(part_feats, valid, global_feats, samples(labels.tolist()))
    rmac_fc, global_fc = head.fc_cls_branches
    expected = (F.cross_entropy(rmac_fc(part_feats.flatten(1)), labels)
                + F.cross_entropy(global_fc(global_feats), labels)) / 2
    assert torch.allclose(losses['loss_cls'], expected)
    losses['loss_cls'].backward()
    assert part_feats.grad.abs().sum() > 0
    # One branch (the Plain DRDL network): its one classifier.
    plain = MetricHead(loss_rmac=None, loss_align=None, loss_cls=dict(type='CrossEntropyLoss'),
                       num_classes=3, embed_dims=5, rmac_dims=0, cls_per_branch=True)
    assert len(plain.fc_cls_branches) == 1
    losses = plain.loss(None, None, global_feats, samples(labels.tolist()))
    assert torch.allclose(losses['loss_cls'],
                          F.cross_entropy(plain.fc_cls_branches[0](global_feats), labels))
    with pytest.raises(ValueError, match='cls_per_branch needs rmac_dims'):
        MetricHead(loss_cls=dict(type='CrossEntropyLoss'), num_classes=3, embed_dims=5,
                   cls_per_branch=True)


def test_errors():
    with pytest.raises(ValueError, match='every loss is None'):
        MetricHead(loss_rmac=None, loss_global=None, loss_embed=None, loss_align=None)
    part_feats, valid, global_feats = branch_feats()
    head = MetricHead()
    no_label = [DetDataSample(metainfo=dict(img_path='x/1.jpg')) for _ in range(6)]
    with pytest.raises(KeyError, match=r"x/1\.jpg has no 'id_label'"):
        head.loss(part_feats, valid, global_feats, no_label)
    with pytest.raises(ValueError, match='loss_rmac / loss_align need the R-MAC'):
        head.loss(None, None, global_feats, samples([0, 0, 1, 1, 2, 2]))
    with pytest.raises(ValueError, match='loss_global needs the global'):
        head.loss(part_feats, valid, None, samples([0, 0, 1, 1, 2, 2]))


@pytest.mark.parametrize('normalize', [False, True])
def test_predict_by_feat_of_a_raw_concatenation(normalize):
    part_feats, _, global_feats = branch_feats()
    head = MetricHead(normalize=normalize, rmac_dims=12)
    raw = torch.cat([part_feats.flatten(1), global_feats], dim=1)
    assert torch.allclose(head.predict_by_feat(raw), head.predict(part_feats, global_feats))
    # the embedding of a mean of raw features is that of the mean branch features
    other = branch_feats(seed=5)
    raw2 = torch.cat([other[0].flatten(1), other[2]], dim=1)
    assert torch.allclose(head.predict_by_feat((raw + raw2) / 2),
                          head.predict((part_feats + other[0]) / 2, (global_feats + other[2]) / 2))
    only_global = MetricHead(normalize=normalize, rmac_dims=0, loss_rmac=None, loss_align=None)
    assert torch.allclose(only_global.predict_by_feat(global_feats),
                          only_global.predict(None, global_feats))
    if normalize:
        with pytest.raises(ValueError, match='needs rmac_dims'):
            MetricHead(normalize=True).predict_by_feat(raw)
