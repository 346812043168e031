"""The shipped configs: every one builds; stage 2 loads stage 1's last checkpoint; the paper's
VGG16 config runs a forward/backward on a small random batch (no pretrained download)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from model_fixtures import build, make_batch

from mmdet.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '*.py')) +
                 glob.glob(osp.join(REPO, 'configs', 'ablations', '*.py')))
STAGE_PAIRS = {
    'eianet_vgg16_compcars.py': 'partrpn_vgg16_compcars.py',
    'eianet_r50_veri776.py': 'partrpn_r50_vehicle_parts.py',
    'eianet_r50_vehicleid.py': 'partrpn_r50_vehicle_parts.py',
    'eianet_r50_veriwild.py': 'partrpn_r50_vehicle_parts.py',
    'eianet_r18_synthcars.py': 'partrpn_r18_synthcars.py',
    'ablations/rpn_rmac_drdl_r18_synthcars.py': 'partrpn_r18_synthcars.py',
    'ablations/rpn_crmac_drdl_r18_synthcars.py': 'partrpn_r18_synthcars.py',
    'ablations/rpn_crmac_eial_drdl_r18_synthcars.py': 'partrpn_r18_synthcars.py',
}


def load(name: str) -> Config:
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    cfg.model.backbone.init_cfg = None  # never download pretrained weights in tests
    return cfg


def test_every_config_is_listed_and_inherits_the_runtime():
    names = {osp.relpath(c, osp.join(REPO, 'configs')) for c in CONFIGS}
    assert set(STAGE_PAIRS) <= names
    assert {'partrpn_vgg16_compcars.py', 'partrpn_r50_vehicle_parts.py',
            'partrpn_r18_synthcars.py', 'ablations/plain_drdl_r18_synthcars.py',
            'ablations/fc_r18_synthcars.py'} <= names
    for name in names:
        cfg = Config.fromfile(osp.join(REPO, 'configs', name))
        assert cfg.default_scope == 'mmdet', name
        assert cfg.custom_imports.imports == ['eianet_mm'], name


@pytest.mark.parametrize('name', sorted(
    osp.relpath(c, osp.join(REPO, 'configs')) for c in CONFIGS))
def test_config_builds(name):
    cfg = load(name)
    model = MODELS.build(cfg.model)
    if name.startswith('partrpn'):
        assert model.stage == 'part_rpn' and cfg.get('load_from') is None
    else:
        assert model.stage == 'metric'
        assert not any(p.requires_grad for p in (model.rpn_head.parameters()
                                                  if model.rpn_head is not None else []))


@pytest.mark.parametrize('stage2,stage1', sorted(STAGE_PAIRS.items()))
def test_stage2_loads_the_last_stage1_checkpoint(stage2, stage1):
    cfg1 = Config.fromfile(osp.join(REPO, 'configs', stage1))
    cfg2 = Config.fromfile(osp.join(REPO, 'configs', stage2))
    last = cfg1.train_cfg.max_iters
    assert cfg1.default_hooks.checkpoint.interval in (last, 5000)
    assert last % cfg1.default_hooks.checkpoint.interval == 0
    assert cfg2.load_from == f'work_dirs/{osp.splitext(stage1)[0]}/iter_{last}.pth'
    # the stage-1 and stage-2 models hold the same RPN and backbone (loadable weights)
    def arch(backbone):
        return {k: v for k, v in backbone.items() if k not in ('init_cfg', 'norm_eval')}
    assert arch(cfg1.model.backbone) == arch(cfg2.model.backbone)
    assert cfg1.model.rpn_head == cfg2.model.rpn_head


def test_embedding_sizes():
    assert MODELS.build(load('eianet_vgg16_compcars.py').model).embed_dims == 256 * 7 + 600
    assert MODELS.build(load('eianet_r50_veri776.py').model).embed_dims == 256 * 7 + 600
    assert MODELS.build(load('eianet_r18_synthcars.py').model).embed_dims == 64 * 7 + 192
    assert MODELS.build(load('ablations/plain_drdl_r18_synthcars.py').model).embed_dims == 192
    assert MODELS.build(load('ablations/fc_r18_synthcars.py').model).embed_dims == 256


def test_vgg16_compcars_forward_backward_on_small_random_input():
    cfg = load('eianet_vgg16_compcars.py')
    model = build(cfg.model)
    model.train()
    data = make_batch(model, labels=(0, 0, 1, 1), coarse=(0, 0, 0, 0), size=64)
    losses = model(**data, mode='loss')
    assert {'loss_rmac', 'loss_global', 'loss_embed', 'loss_align'} <= set(losses)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.features[0].weight.grad is not None
    assert model.rpn_head.rpn_conv.weight.grad is None
    model.eval()
    with torch.no_grad():
        out = model(**make_batch(model, labels=(0, 1), size=64, training=False),
                    mode='predict')
    assert out[0].pred_feature.shape == (256 * 7 + 600, )
    assert out[0].pred_instances.bboxes.shape == (7, 4)


def test_vgg16_stage1_rpn_losses_on_small_random_input():
    model = build(load('partrpn_vgg16_compcars.py').model).train()
    losses = model(**make_batch(model, labels=(0, 1), size=64, num_boxes=(2, 1)),
                   mode='loss')
    total = sum(losses['loss_rpn_cls']) + sum(losses['loss_rpn_bbox'])
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.features[28].weight.grad is not None
