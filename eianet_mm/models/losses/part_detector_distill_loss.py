"""Keep the part RPN's outputs on the fine-tuned backbone equal to the frozen part detector's,
so that one backbone pass can both describe and detect the parts at test time (not in the
paper)."""
from torch import Tensor, nn

from mmdet.registry import MODELS

__all__ = ['part_detector_distill_loss', 'PartDetectorDistillLoss']


def part_detector_distill_loss(cls_score: Tensor, bbox_pred: Tensor, target_cls_score: Tensor,
                               target_bbox_pred: Tensor, num_classes: int) -> Tensor:
    """Squared error between a student's and a teacher's RPN outputs of one level.

    ``cls_score`` / ``target_cls_score`` are sigmoid logits ``[B, A * num_classes, H, W]``,
    ``bbox_pred`` / ``target_bbox_pred`` box deltas ``[B, A * 4, H, W]`` (A anchors per
    location). The loss is the mean squared logit difference over every anchor and part, plus
    the squared delta difference averaged over the anchors weighted by the teacher's
    confidence that the anchor holds some part (the highest of its part probabilities): the
    deltas of anchors on the background do not matter for the selected boxes.

    Returns:
        Tensor: Scalar; 0 when student and teacher agree.
    """
    if cls_score.shape != target_cls_score.shape or bbox_pred.shape != target_bbox_pred.shape:
        raise ValueError(f'part_detector_distill_loss: student and teacher shapes differ: '
                         f'{tuple(cls_score.shape)} / {tuple(target_cls_score.shape)} and '
                         f'{tuple(bbox_pred.shape)} / {tuple(target_bbox_pred.shape)}')
    num_imgs, channels, height, width = cls_score.shape
    num_anchors = channels // num_classes
    if num_anchors * num_classes != channels or bbox_pred.size(1) != num_anchors * 4:
        raise ValueError(f'part_detector_distill_loss: {channels} score channels and '
                         f'{bbox_pred.size(1)} delta channels do not fit {num_classes} classes')
    loss_cls = ((cls_score - target_cls_score) ** 2).mean()
    weight = target_cls_score.detach().sigmoid().view(
        num_imgs, num_anchors, num_classes, height, width).amax(2)  # [B, A, H, W]
    diff = (bbox_pred - target_bbox_pred).view(num_imgs, num_anchors, 4, height, width)
    loss_bbox = (weight * (diff ** 2).mean(2)).sum() / weight.sum().clamp(min=1e-6)
    return loss_cls + loss_bbox


@MODELS.register_module()
class PartDetectorDistillLoss(nn.Module):
    """Module of :func:`part_detector_distill_loss` with a weight.

    :class:`~eianet_mm.models.EIANet` applies it in stage 2 with ``freeze_part_detector``:
    the student is the frozen RPN head on the backbone being trained, the teacher the same
    head on the frozen stage-1 copy of the backbone. Gradients reach the student's backbone
    only (the teacher's outputs are detached).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, cls_score: Tensor, bbox_pred: Tensor, target_cls_score: Tensor,
                target_bbox_pred: Tensor, num_classes: int) -> Tensor:
        """Weighted loss (see :func:`part_detector_distill_loss`)."""
        return self.loss_weight * part_detector_distill_loss(
            cls_score, bbox_pred, target_cls_score.detach(), target_bbox_pred.detach(),
            num_classes)
