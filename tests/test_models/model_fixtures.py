"""Tiny EIA-Net configs and batches shared by the model tests (CPU, 64 x 64 images)."""
import copy
from typing import Dict, Optional, Sequence

import torch
from mmengine.registry import init_default_scope

from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs

NUM_PARTS = 4
PART_DIMS = 8
FC_CHANNELS = 5
IN_CHANNELS = 16

TINY_BACKBONE = dict(type='ResNet', depth=18, base_channels=8, num_stages=2, strides=(1, 2),
                     dilations=(1, 1), out_indices=(1, ), norm_eval=False,
                     zero_init_residual=False, init_cfg=None)

TINY_CFG = dict(
    type='EIANet',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=8),
    backbone=TINY_BACKBONE,
    rpn_head=dict(
        type='PartRPNHead', in_channels=IN_CHANNELS, num_classes=NUM_PARTS,
        feat_channels=PART_DIMS,
        anchor_generator=dict(type='AnchorGenerator', scales=[1, 2, 4],
                              ratios=[0.5, 1.0, 2.0], strides=[8]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4,
                        target_stds=[1.0] * 4),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    rmac=dict(type='RMACPooling'),
    global_branch=dict(type='PartBasedCNN', in_channels=IN_CHANNELS, shared_channels=8,
                       body_channels=(8, 8), half_channels=(8, 8), fc_channels=FC_CHANNELS),
    metric_head=dict(
        type='MetricHead',
        loss_rmac=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=0.5),
        loss_global=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=0.5),
        loss_embed=dict(type='ModifiedCoupledClusterLoss', margin=1.0, hard_margin=1.0,
                        loss_weight=1.0),
        loss_align=dict(type='EnforcedIntraClassAlignmentLoss', loss_weight=1.0)),
    stage='metric',
    train_cfg=dict(rpn=dict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.3,
                      min_pos_iou=0.1, match_low_quality=True, ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=64, pos_fraction=0.5, neg_pos_ub=-1,
                     add_gt_as_proposals=False),
        allowed_border=-1, pos_weight=-1, debug=False)),
    test_cfg=dict(rpn=dict(part_select='nms', score_thr=0.5, nms_pre=50,
                           nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=-1),
                  flip=False))

EMBED_DIMS = NUM_PARTS * PART_DIMS + 3 * FC_CHANNELS


def tiny_cfg(**overrides) -> dict:
    """A deep copy of :data:`TINY_CFG` with top-level keys replaced."""
    cfg = copy.deepcopy(TINY_CFG)
    cfg.update(copy.deepcopy(overrides))
    return cfg


def build(cfg: dict, seed: int = 0) -> torch.nn.Module:
    """Build and initialise a model with a fixed seed."""
    init_default_scope('mmdet')
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def set_part_logits(model: torch.nn.Module, detected: Sequence[bool], spread: float = 0.5,
                    seed: int = 1) -> None:
    """Make the RPN's scores vary between anchors and force parts in or out: a part with
    ``detected[j]`` False gets a -30 bias (never above any threshold), True gets +4."""
    head = model.rpn_head
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        head.rpn_cls.weight.copy_(torch.randn(head.rpn_cls.weight.shape, generator=gen) * spread)
        bias = torch.tensor([4.0 if d else -30.0 for d in detected])
        head.rpn_cls.bias.copy_(bias.repeat(head.num_base_priors))
        head.rpn_reg.weight.copy_(torch.randn(head.rpn_reg.weight.shape, generator=gen) * 0.05)


def make_batch(model: torch.nn.Module,
               labels: Sequence[int] = (0, 0, 1, 1),
               coarse: Optional[Sequence[int]] = None,
               size: int = 64,
               num_boxes: Optional[Sequence[int]] = None,
               training: bool = True,
               seed: int = 0) -> Dict[str, object]:
    """Preprocessed ``inputs`` and ``data_samples`` with ``id_label`` / ``coarse_label``."""
    torch.manual_seed(seed)
    packed = demo_mm_inputs(batch_size=len(labels), image_shapes=(3, size, size),
                            num_items=None if num_boxes is None else list(num_boxes),
                            num_classes=NUM_PARTS)
    coarse = [0] * len(labels) if coarse is None else coarse
    for sample, label, model_id in zip(packed['data_samples'], labels, coarse):
        sample.set_metainfo(dict(id_label=int(label), coarse_label=int(model_id)))
    return model.data_preprocessor(packed, training)
