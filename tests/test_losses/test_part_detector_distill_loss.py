import pytest
import torch

from eianet_mm.models.losses import PartDetectorDistillLoss, part_detector_distill_loss
from mmdet.registry import MODELS


def rpn_outputs(seed, num_imgs=2, anchors=3, classes=4, size=5):
    gen = torch.Generator().manual_seed(seed)
    cls_score = torch.randn(num_imgs, anchors * classes, size, size, generator=gen) * 3
    bbox_pred = torch.randn(num_imgs, anchors * 4, size, size, generator=gen)
    return cls_score, bbox_pred


def direct_loss(cls_s, bbox_s, cls_t, bbox_t, classes):
    """Anchor by anchor, with Python loops."""
    num_imgs, channels, height, width = cls_s.shape
    anchors = channels // classes
    loss_cls = ((cls_s - cls_t) ** 2).mean()
    num = den = 0.0
    for b in range(num_imgs):
        for a in range(anchors):
            for y in range(height):
                for x in range(width):
                    w = max(float(torch.sigmoid(cls_t[b, a * classes + c, y, x]))
                            for c in range(classes))
                    d = bbox_s[b, a * 4:(a + 1) * 4, y, x] - bbox_t[b, a * 4:(a + 1) * 4, y, x]
                    num += w * float((d ** 2).mean())
                    den += w
    return float(loss_cls) + num / den


def test_loss_against_a_per_anchor_computation_and_zero_when_equal():
    cls_s, bbox_s = rpn_outputs(0)
    cls_t, bbox_t = rpn_outputs(1)
    value = part_detector_distill_loss(cls_s, bbox_s, cls_t, bbox_t, num_classes=4)
    assert value.item() == pytest.approx(direct_loss(cls_s, bbox_s, cls_t, bbox_t, 4), rel=1e-5)
    assert part_detector_distill_loss(cls_t, bbox_t, cls_t, bbox_t, 4).item() == 0.0


def test_module_weight_and_gradients_reach_the_student_only():
    loss = MODELS.build(dict(type='PartDetectorDistillLoss', loss_weight=0.5))
    cls_s, bbox_s = (t.requires_grad_(True) for t in rpn_outputs(0))
    cls_t, bbox_t = (t.requires_grad_(True) for t in rpn_outputs(1))
    value = loss(cls_s, bbox_s, cls_t, bbox_t, 4)
    expected = 0.5 * part_detector_distill_loss(cls_s, bbox_s, cls_t, bbox_t, 4)
    assert torch.allclose(value, expected)
    value.backward()
    assert cls_s.grad.abs().sum() > 0 and bbox_s.grad.abs().sum() > 0
    assert cls_t.grad is None and bbox_t.grad is None


def test_shape_errors():
    cls_s, bbox_s = rpn_outputs(0)
    with pytest.raises(ValueError, match='student and teacher shapes differ'):
        part_detector_distill_loss(cls_s, bbox_s, cls_s[:, :4], bbox_s, 4)
    with pytest.raises(ValueError, match='do not fit 5 classes'):
        PartDetectorDistillLoss()(cls_s, bbox_s, cls_s, bbox_s, 5)
