"""EIANet: both stages' losses, frozen RPN, predict outputs (docs/interfaces.md), flip,
variants without parts, backbone swaps and config errors."""
import pytest
import torch
from model_fixtures import (EMBED_DIMS, FC_CHANNELS, IN_CHANNELS, NUM_PARTS, PART_DIMS,
                            build, make_batch, set_part_logits, tiny_cfg)

from eianet_mm.models.necks import RMACPooling

BIG_MARGINS = dict(
    type='MetricHead',
    loss_rmac=dict(type='CoupledClusterLoss', margin=100.0, loss_weight=0.5),
    loss_global=dict(type='CoupledClusterLoss', margin=100.0, loss_weight=0.5),
    loss_embed=dict(type='ModifiedCoupledClusterLoss', margin=100.0, hard_margin=1.0),
    loss_align=dict(type='EnforcedIntraClassAlignmentLoss', loss_weight=1.0))


def is_global_fc_bias(name: str) -> bool:
    """The FC biases of the global branch shift every embedding alike, so the coupled
    cluster losses (functions of embedding differences) give them a zero gradient."""
    return name.startswith('global_branch.') and 'fc' in name and name.endswith('.bias')


STAGE2_ONLY = ('global_branch.', 'part_projection.', 'metric_head.')


def load_stage1(model, stage1):
    """Load a stage-1 state dict the way mmengine's ``load_from`` does (not strict); only
    the modules stage 1 never trains may be missing."""
    result = model.load_state_dict(stage1.state_dict(), strict=False)
    assert result.missing_keys and all(k.startswith(STAGE2_ONLY) for k in result.missing_keys)


def total_loss(losses):
    return sum(sum(v) if isinstance(v, list) else v for k, v in losses.items() if 'loss' in k)


def test_metric_stage_every_trainable_parameter_gets_a_gradient():
    model = build(tiny_cfg(metric_head=BIG_MARGINS))
    set_part_logits(model, [True] * NUM_PARTS)
    model.train()
    losses = model(**make_batch(model), mode='loss')
    assert {'loss_rmac', 'loss_global', 'loss_embed', 'loss_align'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    assert float(losses['part_detected']) == 1.0
    total_loss(losses).backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert {n.split('.')[0] for n, _ in trainable} == {'backbone', 'global_branch'}
    for name, param in trainable:
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        if is_global_fc_bias(name):
            assert param.grad.abs().max() < 1e-5, name
        else:
            assert param.grad.abs().sum() > 0, name
    for name, param in model.rpn_head.named_parameters():
        assert not param.requires_grad and param.grad is None, name


def test_metric_stage_optimizer_step_leaves_rpn_unchanged():
    model = build(tiny_cfg(metric_head=BIG_MARGINS))
    set_part_logits(model, [True] * NUM_PARTS)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # mmengine hands every parameter to the optimizer, frozen ones included
    optim = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2)
    for _ in range(2):
        optim.zero_grad()
        total_loss(model(**make_batch(model), mode='loss')).backward()
        optim.step()
    after = model.state_dict()
    for key in before:
        if key.startswith(('rpn_head.', 'part_backbone.')):
            assert torch.equal(before[key], after[key]), key
    assert not torch.equal(before['backbone.conv1.weight'], after['backbone.conv1.weight'])
    assert not torch.equal(before['global_branch.body_fc.weight'],
                           after['global_branch.body_fc.weight'])


def test_frozen_modules_stay_in_eval_mode():
    model = build(tiny_cfg()).train()
    assert model.backbone.training and model.global_branch.training
    assert not model.rpn_head.training and not model.part_backbone.training
    assert not any(p.requires_grad for p in model.part_backbone.parameters())
    stage1 = build(tiny_cfg(stage='part_rpn')).train()
    assert stage1.rpn_head.training and stage1.backbone.training
    assert not stage1.global_branch.training and not stage1.metric_head.training
    assert not any(p.requires_grad for p in stage1.global_branch.parameters())


@pytest.mark.parametrize('num_boxes', [[0, 0], [1, 0], [3, 2]])
def test_part_rpn_stage_losses(num_boxes):
    model = build(tiny_cfg(stage='part_rpn')).train()
    losses = model(**make_batch(model, labels=(0, 1), num_boxes=num_boxes), mode='loss')
    assert set(losses) == {'loss_rpn_cls', 'loss_rpn_bbox'}
    total = total_loss(losses)
    assert torch.isfinite(total)
    total.backward()
    assert model.rpn_head.rpn_cls.weight.grad is not None
    assert model.backbone.conv1.weight.grad is not None
    assert model.global_branch.body_fc.weight.grad is None


def test_predict_outputs_follow_the_interface():
    model = build(tiny_cfg())
    set_part_logits(model, [True, True, False, True])
    model.eval()
    data = make_batch(model, labels=(0, 1), training=False)
    for sample in data['data_samples']:
        sample.set_metainfo(dict(scale_factor=(0.5, 0.25)))
    with torch.no_grad():
        results = model(**data, mode='predict')
        # boxes from the frozen part detector, R-MAC on the trained backbone's RPN conv
        head = model.rpn_head
        det_conv = head.conv_features(model.part_backbone(data['inputs'])[-1])
        cls_score, bbox_pred = head.forward_from_conv(det_conv)
        metas = [s.metainfo for s in data['data_samples']]
        boxes, scores, detected = head.select_parts([cls_score], [bbox_pred], metas)
        conv = head.conv_features(model.backbone(data['inputs'])[-1])
        expected_parts = RMACPooling()(conv, boxes, detected, 8)
        embeddings = model(data['inputs'], data['data_samples'], mode='tensor')
    assert embeddings.shape == (2, EMBED_DIMS)
    for i, sample in enumerate(results):
        assert sample.pred_feature.shape == (EMBED_DIMS, )
        assert torch.equal(sample.pred_feature, embeddings[i])
        inst = sample.pred_instances
        assert inst.bboxes.shape == (NUM_PARTS, 4)
        assert inst.labels.tolist() == list(range(NUM_PARTS))
        assert inst.detected.tolist() == [True, True, False, True]
        assert torch.equal(inst.bboxes[2], torch.zeros(4))
        scale = torch.tensor([0.5, 0.25, 0.5, 0.25])
        assert torch.allclose(inst.bboxes, boxes[i] / scale)
        assert torch.equal(inst.scores, scores[i])
        assert sample.part_features.shape == (NUM_PARTS, PART_DIMS)
        assert torch.equal(sample.part_features, expected_parts[i])
        assert torch.equal(sample.part_features[2], torch.zeros(PART_DIMS))
        assert torch.equal(sample.pred_feature[:NUM_PARTS * PART_DIMS],
                           expected_parts[i].flatten())
        record = sample.to_dict()
        assert record['id_label'] == i and 'pred_feature' in record


def test_flip_averages_the_two_passes():
    model = build(tiny_cfg(test_cfg=dict(tiny_cfg()['test_cfg'], flip=True)))
    set_part_logits(model, [True, False, True, True])
    model.eval()
    data = make_batch(model, labels=(0, 1, 2), training=False)
    inputs, samples = data['inputs'], data['data_samples']
    # the third image is narrower than the batch (padded on the right): flipped inside 40 px
    samples[2].set_metainfo(dict(img_shape=(64, 40)))
    flipped = inputs.flip(-1)
    flipped[2] = inputs[2]
    flipped[2, :, :, :40] = inputs[2, :, :, :40].flip(-1)
    with torch.no_grad():
        plain = model(inputs, samples, mode='tensor')
        mirror = model(flipped, samples, mode='tensor')
        results = model(inputs, samples, mode='predict')
    expected = (plain + mirror) / 2
    predicted = torch.stack([r.pred_feature for r in results])
    assert torch.allclose(predicted, expected, atol=1e-6)
    assert not torch.allclose(predicted, plain, atol=1e-4)


def test_plain_network_without_parts():
    cfg = tiny_cfg(rpn_head=None, rmac=None,
                   metric_head=dict(type='MetricHead', loss_rmac=None, loss_global=None,
                                    loss_align=None,
                                    loss_embed=dict(type='CoupledClusterLoss', margin=100.0)))
    model = build(cfg).train()
    assert model.embed_dims == 3 * FC_CHANNELS
    losses = model(**make_batch(model), mode='loss')
    # no part losses; the CCL's diagnostics (margin 100: every hinge active)
    assert set(losses) == {'loss_embed', 'embed_active_share', 'embed_collapse_ratio'}
    assert float(losses['embed_active_share']) == 1.0
    total_loss(losses).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert (param.grad.abs().max() < 1e-5) == is_global_fc_bias(name), name
    model.eval()
    with torch.no_grad():
        sample = model(**make_batch(model, training=False), mode='predict')[0]
    assert sample.pred_feature.shape == (3 * FC_CHANNELS, )
    assert len(sample.pred_instances) == 0 and sample.part_features.shape == (0, 0)


def test_fc_feature_network_trains_as_classifier():
    cfg = tiny_cfg(rpn_head=None, rmac=None,
                   global_branch=dict(type='GlobalPoolingFC', in_channels=IN_CHANNELS,
                                      out_channels=6),
                   metric_head=dict(type='MetricHead', loss_rmac=None, loss_global=None,
                                    loss_align=None, loss_embed=None, num_classes=3,
                                    loss_cls=dict(type='CrossEntropyLoss')))
    model = build(cfg).train()
    assert model.metric_head.fc_cls.in_features == 6
    losses = model(**make_batch(model, labels=(0, 2, 1, 1)), mode='loss')
    assert set(losses) == {'loss_cls'} and float(losses['loss_cls'].detach()) > 0
    total_loss(losses).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_rmac_only_network():
    model = build(tiny_cfg(global_branch=None, metric_head=dict(
        type='MetricHead', loss_global=None)))
    set_part_logits(model, [True] * NUM_PARTS)
    model.eval()
    with torch.no_grad():
        emb = model(make_batch(model, training=False)['inputs'], mode='tensor')
    assert emb.shape == (4, NUM_PARTS * PART_DIMS)


@pytest.mark.parametrize('backbone,neck,channels', [
    (dict(type='MobileNetV2', widen_factor=0.25, out_indices=(2, ), init_cfg=None), None, 8),
    (dict(type='RegNet', arch='regnetx_400mf', out_indices=(0, 1), init_cfg=None), None, 64),
    (dict(type='ResNet', depth=18, base_channels=8, num_stages=2, strides=(1, 2),
          dilations=(1, 1), out_indices=(0, 1), init_cfg=None),
     dict(type='ChannelMapper', in_channels=[8, 16], out_channels=12, kernel_size=1,
          num_outs=2), 12),
])
def test_backbone_swap_through_the_config(backbone, neck, channels):
    cfg = tiny_cfg(backbone=backbone, neck=neck, feat_index=1 if neck else -1)
    cfg['rpn_head']['in_channels'] = channels
    cfg['global_branch']['in_channels'] = channels
    model = build(cfg)
    set_part_logits(model, [True] * NUM_PARTS)
    model.train()
    losses = model(**make_batch(model), mode='loss')
    assert torch.isfinite(total_loss(losses))
    model.eval()
    with torch.no_grad():
        out = model(**make_batch(model, training=False), mode='predict')
    assert out[0].pred_feature.shape == (EMBED_DIMS, )


def test_config_errors():
    with pytest.raises(ValueError, match='stage must be one of'):
        build(tiny_cfg(stage='both'))
    with pytest.raises(ValueError, match='needs an rpn_head'):
        build(tiny_cfg(rpn_head=None))
    with pytest.raises(ValueError, match="'part_rpn' trains the part RPN"):
        build(tiny_cfg(rpn_head=None, rmac=None, stage='part_rpn'))
    with pytest.raises(ValueError, match="'metric' needs a metric_head"):
        build(tiny_cfg(metric_head=None))
    with pytest.raises(ValueError, match='loss_rmac / loss_align need part'):
        build(tiny_cfg(rmac=None))
    with pytest.raises(ValueError, match='loss_global needs a global_branch'):
        build(tiny_cfg(global_branch=None))
    with pytest.raises(ValueError, match='rmac .* global_branch or both'):
        build(tiny_cfg(rpn_head=None, rmac=None, global_branch=None, metric_head=dict(
            type='MetricHead', loss_rmac=None, loss_global=None, loss_align=None)))
    with pytest.raises(ValueError, match=r'metric_head.loss_embed: distance metric '
                       r"'codetected:7x64' names 7 parts x 64 channels, but the model has 4 "
                       r'parts x 8 channels; use codetected:4x8'):
        build(tiny_cfg(metric_head=dict(type='MetricHead', loss_embed=dict(
            type='CoupledClusterLoss', distance='codetected:7x64'))))
    with pytest.raises(ValueError, match='loss_global compares the global branch'):
        build(tiny_cfg(metric_head=dict(type='MetricHead', loss_global=dict(
            type='CoupledClusterLoss', distance='codetected:4x8'))))
    model = build(tiny_cfg(feat_index=3))
    with pytest.raises(IndexError, match='feat_index=3'):
        model(torch.zeros(1, 3, 32, 32), mode='tensor')


def test_stage1_state_dict_leaves_out_the_untrained_stage2_modules():
    """A stage-1 checkpoint holds what stage 1 trains: stage 2 keeps its own initialisation of
    the global branch, and a stage-1 model loads it strictly (keeping its own)."""
    stage1 = build(tiny_cfg(stage='part_rpn'), seed=1)
    state = stage1.state_dict()
    assert not [k for k in state if k.startswith(STAGE2_ONLY)]
    assert any(k.startswith('backbone.') for k in state)
    assert any(k.startswith('rpn_head.') for k in state)
    stage2 = build(tiny_cfg(), seed=2)
    own = {k: v.clone() for k, v in stage2.global_branch.state_dict().items()}
    load_stage1(stage2, stage1)
    for key, value in stage2.global_branch.state_dict().items():
        assert torch.equal(value, own[key]), key
    again = build(tiny_cfg(stage='part_rpn'), seed=3)
    kept = {k: v.clone() for k, v in again.global_branch.state_dict().items()}
    again.load_state_dict(state)  # strict
    assert torch.equal(again.backbone.conv1.weight, stage1.backbone.conv1.weight)
    for key, value in again.global_branch.state_dict().items():
        assert torch.equal(value, kept[key]), key


def test_part_detector_copy_starts_from_a_stage1_checkpoint():
    stage1 = build(tiny_cfg(stage='part_rpn'), seed=1)
    stage2 = build(tiny_cfg(), seed=2)
    assert not torch.equal(stage2.part_backbone.conv1.weight, stage1.backbone.conv1.weight)
    load_stage1(stage2, stage1)
    for name, value in stage1.backbone.state_dict().items():
        assert torch.equal(stage2.part_backbone.state_dict()[name], value), name
        assert torch.equal(stage2.backbone.state_dict()[name], value), name
    # a stage-2 checkpoint keeps its own copy
    with torch.no_grad():
        stage2.backbone.conv1.weight.add_(1.0)
    again = build(tiny_cfg(), seed=3)
    again.load_state_dict(stage2.state_dict())
    assert torch.equal(again.part_backbone.conv1.weight, stage1.backbone.conv1.weight)
    assert torch.equal(again.backbone.conv1.weight, stage2.backbone.conv1.weight)


@pytest.mark.parametrize('freeze', [True, False])
def test_finetuned_rmac_conv_trains_and_leaves_the_detector_alone(freeze):
    """finetune_rmac_conv: the R-MAC pools a trainable copy of the RPN convolution, started
    from a stage-1 checkpoint's RPN weights; an optimizer step changes the copy, never the
    RPN, so the boxes stay and the part features change."""
    stage1 = build(tiny_cfg(stage='part_rpn'), seed=1)
    model = build(tiny_cfg(finetune_rmac_conv=True, freeze_part_detector=freeze), seed=2)
    load_stage1(model, stage1)
    assert torch.equal(model.rmac_conv.weight, stage1.rpn_head.rpn_conv.weight)
    assert torch.equal(model.rpn_head.rpn_conv.weight, stage1.rpn_head.rpn_conv.weight)
    set_part_logits(model, [True] * NUM_PARTS)
    model.train()
    before = model(**make_batch(model, labels=(0, 1), training=False), mode='predict')
    before = [(r.pred_instances.bboxes.clone(), r.part_features.clone()) for r in before]
    rpn_before = {k: v.clone() for k, v in model.rpn_head.state_dict().items()}
    optim = torch.optim.SGD(model.parameters(), lr=0.1)
    total_loss(model(**make_batch(model), mode='loss')).backward()
    assert model.rmac_conv.weight.grad.abs().sum() > 0
    assert model.rpn_head.rpn_conv.weight.grad is None
    optim.step()
    for key, value in model.rpn_head.state_dict().items():
        assert torch.equal(value, rpn_before[key]), key
    model.eval()
    data = make_batch(model, labels=(0, 1), training=False)
    with torch.no_grad():
        after = model(**data, mode='predict')
        branches = model._branches(data['inputs'], [d.metainfo for d in data['data_samples']])
        expected = RMACPooling()(torch.relu(model.rmac_conv(model.extract_feat(data['inputs']))),
                                 branches['boxes'], branches['part_valid'],
                                 model.rpn_head.stride)
    for (old_boxes, old_parts), new in zip(before, after):
        assert torch.equal(old_boxes, new.pred_instances.bboxes) == freeze
        assert not torch.allclose(old_parts, new.part_features)
    assert torch.allclose(torch.stack([r.part_features for r in after]), expected, atol=1e-6)


@pytest.mark.parametrize('freeze', [True, False])
def test_boxes_follow_the_part_detector(freeze):
    """With the frozen copy, changing the trained backbone changes the embedding but not the
    boxes; without it, the boxes move with the backbone."""
    model = build(tiny_cfg(freeze_part_detector=freeze))
    assert (model.part_backbone is not None) == freeze
    set_part_logits(model, [True] * NUM_PARTS)
    model.eval()
    data = make_batch(model, labels=(0, 1), training=False)
    with torch.no_grad():
        first = [r.clone() for r in model(**data, mode='predict')]
        model.backbone.layer2[0].conv1.weight.mul_(-1.5)
        second = model(**data, mode='predict')
    for a, b in zip(first, second):
        assert not torch.allclose(a.pred_feature, b.pred_feature)
        same = torch.equal(a.pred_instances.bboxes, b.pred_instances.bboxes)
        assert same == freeze


def test_flip_with_normalized_branches_averages_before_normalizing():
    cfg = tiny_cfg(test_cfg=dict(tiny_cfg()['test_cfg'], flip=True))
    cfg['metric_head']['normalize'] = True
    model = build(cfg)
    set_part_logits(model, [True] * NUM_PARTS)
    model.eval()
    data = make_batch(model, labels=(0, 1), training=False)
    metas = [s.metainfo for s in data['data_samples']]
    with torch.no_grad():
        results = model(**data, mode='predict')
        raw, _ = model._raw_embedding(data['inputs'], metas)
        raw_flip, _ = model._raw_embedding(data['inputs'].flip(-1), metas)
    mean = (raw + raw_flip) / 2
    split = NUM_PARTS * PART_DIMS
    expected = torch.cat([torch.nn.functional.normalize(mean[:, :split], dim=1),
                          torch.nn.functional.normalize(mean[:, split:], dim=1)], 1) / 2 ** 0.5
    predicted = torch.stack([r.pred_feature for r in results])
    assert torch.allclose(predicted, expected, atol=1e-6)
    assert torch.allclose(predicted[:, :split].norm(dim=1), torch.full((2, ), 2 ** -0.5))


def test_part_detector_distillation_and_shared_detection_at_test_time():
    """loss_part_distill is 0 while the backbone equals the frozen copy, grows when it
    drifts, and its gradient reaches the backbone only; test_cfg.part_detector='shared'
    detects on the trained backbone (boxes follow it), 'copy' on the frozen copy."""
    stage1 = build(tiny_cfg(stage='part_rpn'), seed=1)
    model = build(tiny_cfg(loss_part_distill=dict(type='PartDetectorDistillLoss')), seed=2)
    load_stage1(model, stage1)
    set_part_logits(model, [True] * NUM_PARTS)
    model.eval()  # BN on running statistics, as the frozen copy
    assert model(**make_batch(model), mode='loss')['loss_part_distill'].item() == 0.0
    data = make_batch(model, labels=(0, 1), training=False)
    with torch.no_grad():
        model.test_cfg.part_detector = 'shared'
        assert model.test_part_detector == 'shared'
        shared = [r.pred_instances.bboxes.clone() for r in model(**data, mode='predict')]
        model.backbone.layer2[0].conv1.weight.mul_(-1.5)
        shared_after = [r.pred_instances.bboxes for r in model(**data, mode='predict')]
        model.test_cfg.part_detector = 'copy'
        assert model.test_part_detector == 'copy'
        copy_after = [r.pred_instances.bboxes for r in model(**data, mode='predict')]
    assert not all(torch.equal(a, b) for a, b in zip(shared, shared_after))
    assert all(torch.equal(a, b) for a, b in zip(shared, copy_after))
    model.train()
    losses = model(**make_batch(model), mode='loss')
    assert losses['loss_part_distill'].item() > 0
    losses['loss_part_distill'].backward()
    assert model.backbone.layer2[0].conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.rpn_head.parameters())
    assert all(p.grad is None for p in model.part_backbone.parameters())
    assert all(p.grad is None for p in model.global_branch.parameters())


def test_test_part_detector_is_shared_without_a_frozen_copy():
    """Without a frozen copy the RPN reads the one backbone, whatever test_cfg says."""
    cfg = tiny_cfg(freeze_part_detector=False)
    cfg['test_cfg'] = dict(cfg['test_cfg'], part_detector='copy')
    assert build(cfg).test_part_detector == 'shared'
    assert build(tiny_cfg()).test_part_detector == 'copy'  # the default, with the copy


def test_part_detector_distillation_config_errors():
    with pytest.raises(ValueError, match='loss_part_distill .* needs'):
        build(tiny_cfg(loss_part_distill=dict(type='PartDetectorDistillLoss'),
                       freeze_part_detector=False))
    cfg = tiny_cfg()
    cfg['test_cfg'] = dict(cfg['test_cfg'], part_detector='teacher')
    with pytest.raises(ValueError, match=r"part_detector must be one of \('copy', 'shared'\)"):
        build(cfg)


def test_bfloat16_autocast_matches_float32_with_float32_outputs():
    reference = build(tiny_cfg(), seed=4)
    fast = build(tiny_cfg(channels_last=True, autocast_dtype='bfloat16'), seed=5)
    fast.load_state_dict(reference.state_dict())
    assert all(p.dtype == torch.float32 for p in fast.parameters())
    for model in (reference, fast):
        set_part_logits(model, [True, False] * (NUM_PARTS // 2) + [True] * (NUM_PARTS % 2))
        model.eval()
    with torch.no_grad():
        expected = reference(**make_batch(reference, labels=(0, 1), training=False),
                             mode='predict')
        got = fast(**make_batch(fast, labels=(0, 1), training=False), mode='predict')
    for a, b in zip(expected, got):
        assert b.pred_feature.dtype == torch.float32 and b.part_features.dtype == torch.float32
        assert torch.equal(a.pred_instances.detected, b.pred_instances.detected)
        assert torch.allclose(a.pred_instances.bboxes, b.pred_instances.bboxes, atol=1.0)
        # bfloat16 keeps 8 bits of mantissa: the embeddings agree to about 1%
        assert torch.nn.functional.cosine_similarity(a.pred_feature, b.pred_feature,
                                                     dim=0) > 0.999
    fast.train()
    reference.train()
    losses = [model(**make_batch(model), mode='loss') for model in (reference, fast)]
    for name in ('loss_rmac', 'loss_global', 'loss_embed', 'loss_align'):
        assert losses[1][name].dtype == torch.float32, name
        assert torch.allclose(losses[0][name], losses[1][name], rtol=0.05, atol=1e-3), name
    total_loss(losses[1]).backward()
    grad = fast.backbone.conv1.weight.grad
    assert grad is not None and grad.dtype == torch.float32 and grad.abs().sum() > 0


def test_bfloat16_autocast_part_rpn_stage_gives_float32_rpn_losses():
    model = build(tiny_cfg(stage='part_rpn', autocast_dtype='bfloat16'))
    model.train()
    losses = model(**make_batch(model, num_boxes=(2, 1, 3, 1)), mode='loss')
    values = [v for k, vs in losses.items() if 'loss' in k
              for v in (vs if isinstance(vs, list) else [vs])]
    assert values and all(v.dtype == torch.float32 and torch.isfinite(v) for v in values)
    total_loss(losses).backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0


def test_autocast_dtype_must_be_bfloat16_or_none():
    with pytest.raises(ValueError, match=r"autocast_dtype must be one of \(None, 'bfloat16'\)"
                       r", got 'float16'"):
        build(tiny_cfg(autocast_dtype='float16'))


def test_channels_last_gives_the_same_embeddings_and_losses():
    reference = build(tiny_cfg(), seed=4)
    fast = build(tiny_cfg(channels_last=True), seed=5)
    fast.load_state_dict(reference.state_dict())
    conv = fast.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    for model in (reference, fast):
        set_part_logits(model, [True] * NUM_PARTS)
        model.eval()
    data = make_batch(reference, labels=(0, 1), training=False)
    with torch.no_grad():
        expected = reference(**data, mode='predict')
        got = fast(**make_batch(fast, labels=(0, 1), training=False), mode='predict')
    for a, b in zip(expected, got):
        assert torch.allclose(a.pred_feature, b.pred_feature, atol=1e-5)
        assert torch.equal(a.pred_instances.detected, b.pred_instances.detected)
    losses = [model(**make_batch(model), mode='loss') for model in (reference, fast)]
    for name in ('loss_rmac', 'loss_global', 'loss_embed', 'loss_align'):
        assert torch.allclose(losses[0][name], losses[1][name], atol=1e-5), name
