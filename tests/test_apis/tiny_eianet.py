"""A tiny EIA-Net (ResNet with 4 base channels, 64 x 64 inputs), its checkpoint and images.

Shared by tests/test_apis and tests/test_tools: ``make_tiny_setup(folder)`` writes a config,
a checkpoint and a few drawn vehicle-like images, and returns their paths.
"""
import os
import os.path as osp
from typing import Dict, List

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdet.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_PARTS = 7
PART_DIMS = 8
GLOBAL_DIMS = 3 * 4
EMBED_DIMS = NUM_PARTS * PART_DIMS + GLOBAL_DIMS
IMG_SIZE = 64

CONFIG_TEXT = '''
_base_ = [{runtime!r}]
img_scale = ({size}, {size})
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'id_label', 'coarse_label', 'cam_id', 'is_query')
test_pipeline = [
    dict(type='LoadVehicleImage'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
test_dataloader = dict(
    batch_size=2,
    dataset=dict(type='CompCarsVerificationDataset', data_root='unused/', mode='test',
                 pipeline=test_pipeline))
test_evaluator = dict(type='VerificationMetric', metric='euclidean')
model = dict(
    type='EIANet',
    data_preprocessor=dict(type='DetDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_size_divisor=8),
    backbone=dict(type='ResNet', depth=18, base_channels=4, num_stages=2, strides=(1, 2),
                  dilations=(1, 1), out_indices=(1, ), norm_eval=True, init_cfg=None),
    rpn_head=dict(
        type='PartRPNHead', in_channels=8, num_classes={num_parts}, feat_channels={part_dims},
        anchor_generator=dict(type='AnchorGenerator', scales=[2, 4], ratios=[0.5, 1.0, 2.0],
                              strides=[8]),
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0, 0.0, 0.0, 0.0],
                        target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    rmac=dict(type='RMACPooling'),
    global_branch=dict(type='PartBasedCNN', in_channels=8, shared_channels=8,
                       body_channels=(8, 8), half_channels=(8, 8), fc_channels=4),
    metric_head=dict(type='MetricHead'),
    test_cfg=dict(
        rpn=dict(part_select='nms', score_thr=0.5, nms_pre=200,
                 nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        flip=True))
'''


def write_config(path: str) -> str:
    """Write the tiny config to ``path``."""
    with open(path, 'w') as f:
        f.write(CONFIG_TEXT.format(
            runtime=osp.join(REPO_ROOT, 'configs/_base_/default_runtime.py'), size=IMG_SIZE,
            num_parts=NUM_PARTS, part_dims=PART_DIMS))
    return path


def build_tiny_model(config: str) -> torch.nn.Module:
    """The model of the tiny config with seeded weights: parts 0-3 are found, 4-6 missed."""
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    with torch.no_grad():
        # Scores that vary clearly between anchors (no near-ties for the per-part max);
        # parts 4-6 get a large negative bias and are never detected.
        cls = model.rpn_head.rpn_cls
        cls.weight.normal_(0, 0.5)
        bias = torch.zeros(model.rpn_head.num_anchors, NUM_PARTS)
        bias[:, 4:] = -30.0
        cls.bias.copy_(bias.reshape(-1))
    return model.eval()


def draw_vehicle(seed: int, height: int, width: int) -> np.ndarray:
    """A car-like drawing: body, windows, wheels and lights in seeded colours."""
    rng = np.random.RandomState(seed)
    img = np.full((height, width, 3), rng.randint(150, 230, 3), np.uint8)
    body = tuple(int(c) for c in rng.randint(0, 255, 3))
    x0, x1 = int(width * 0.1), int(width * 0.9)
    cv2.rectangle(img, (x0, int(height * 0.45)), (x1, int(height * 0.8)), body, -1)
    cv2.rectangle(img, (int(width * 0.25), int(height * 0.25)), (int(width * 0.75),
                  int(height * 0.45)), (60, 50, 40), -1)
    for cx in (0.25, 0.75):
        cv2.circle(img, (int(width * cx), int(height * 0.8)), max(2, height // 9), (20, 20, 20),
                   -1)
    cv2.circle(img, (x0 + 3, int(height * 0.55)), 2, (250, 250, 250), -1)
    noise = rng.randint(0, 20, img.shape).astype(np.uint8)
    return cv2.add(img, noise)


def make_tiny_setup(folder: str, num_images: int = 6) -> Dict[str, object]:
    """Config, checkpoint (with a stored model-level threshold) and images in ``folder``.

    Returns:
        dict: ``config``, ``checkpoint`` (paths), ``images`` (list of paths; image i is
        drawn with seed ``i % 3``, so images i and i + 3 share a drawing up to size and
        labels are ``i % 3``), ``labels`` and ``model`` (the built model).
    """
    os.makedirs(folder, exist_ok=True)
    config = write_config(osp.join(folder, 'tiny_eianet.py'))
    model = build_tiny_model(config)
    checkpoint = osp.join(folder, 'tiny.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(verification_thresholds=dict(metric='euclidean', model=50.0))),
               checkpoint)
    images: List[str] = []
    for i in range(num_images):
        size = (IMG_SIZE, IMG_SIZE) if i < 3 else (48 + 8 * i, 80 + 4 * i)
        path = osp.join(folder, 'images', f'car{i}.png')
        os.makedirs(osp.dirname(path), exist_ok=True)
        cv2.imwrite(path, draw_vehicle(i % 3, *size))
        images.append(path)
    return dict(config=config, checkpoint=checkpoint, images=images,
                labels=[str(i % 3) for i in range(num_images)], model=model)
