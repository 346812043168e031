from types import SimpleNamespace

import pytest
import torch
from mmengine.model import MMDistributedDataParallel

from eianet_mm.engine import MetricLossWarmupHook
from eianet_mm.models.heads import MetricHead
from mmdet.registry import HOOKS
from mmdet.structures import DetDataSample


def samples(labels):
    return [DetDataSample(metainfo=dict(id_label=y, coarse_label=y // 2)) for y in labels]


def head_losses(head):
    gen = torch.Generator().manual_seed(0)
    part_feats = torch.rand(6, 3, 4, generator=gen)
    valid = torch.ones(6, 3, dtype=torch.bool)
    global_feats = torch.randn(6, 5, generator=gen)
    return head.loss(part_feats, valid, global_feats, samples([0, 0, 1, 1, 2, 2]))


def test_metric_losses_ramp_in_and_the_softmax_keeps_its_weight():
    head = MetricHead(loss_cls=dict(type='CrossEntropyLoss'), num_classes=3,
                      embed_dims=17, rmac_dims=12)
    full = head_losses(head)
    hook = HOOKS.build(dict(type='MetricLossWarmupHook', warmup_iters=4))
    runner = SimpleNamespace(model=SimpleNamespace(metric_head=head), iter=1)
    hook.before_train_iter(runner, 0)
    assert head.metric_loss_scale == 0.25
    ramped = head_losses(head)
    for name in ('loss_rmac', 'loss_global', 'loss_embed', 'loss_align'):
        assert torch.allclose(ramped[name], full[name] * 0.25)
    assert torch.equal(ramped['loss_cls'], full['loss_cls'])
    runner.iter = 9
    hook.before_train_iter(runner, 0)
    assert head.metric_loss_scale == 1.0
    runner.iter = 0
    hook.before_train_iter(runner, 0)
    hook.after_train(runner)
    assert head.metric_loss_scale == 1.0


def test_wrapped_model_and_errors():
    head = MetricHead()
    wrapped = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    torch.nn.Module.__init__(wrapped)
    wrapped.module = SimpleNamespace(metric_head=head)
    MetricLossWarmupHook(warmup_iters=10).before_train_iter(
        SimpleNamespace(model=wrapped, iter=5), 0)
    assert head.metric_loss_scale == 0.5
    with pytest.raises(TypeError, match='needs a model with a metric_head'):
        MetricLossWarmupHook().before_train_iter(
            SimpleNamespace(model=torch.nn.Linear(2, 2), iter=0), 0)
    with pytest.raises(ValueError, match='warmup_iters must be a positive integer'):
        MetricLossWarmupHook(warmup_iters=0)
