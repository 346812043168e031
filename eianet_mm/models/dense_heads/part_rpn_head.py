"""The part RPN: an mmdet RPN head that scores every anchor for each vehicle-part class."""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.dense_heads import AnchorHead, RPNHead
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, InstanceList, MultiConfig, OptInstanceList

PART_SELECT_MODES = ('nms', 'max')


@MODELS.register_module()
class PartRPNHead(RPNHead):
    """Faster R-CNN's RPN with one score per anchor per part class (the EIA-Net "RPN-based
    network").

    mmdet's ``AnchorHead`` machinery trains it with the standard RPN losses on the part boxes
    of ``gt_instances`` (their labels are the part indices 0..num_classes-1). At test time
    every part class keeps its single best box (:meth:`select_parts`); a part whose best score
    is below ``test_cfg.score_thr`` is *missed*. The head works on one feature map, so the
    anchor generator must have exactly one stride. :meth:`conv_features` exposes the shared
    ``rpn_conv`` output (``feat_channels`` = K channels, after ReLU) that the R-MAC pools.

    Test config keys (``test_cfg``):

    - ``part_select`` (str): ``'nms'`` (default): per part, the ``nms_pre`` best anchors are
      decoded, boxes not wider and higher than ``min_bbox_size`` dropped, and the box that a
      per-part NMS would keep first taken: the best-scoring remaining box (NMS never
      suppresses it, so the NMS itself is not run); ``'max'``: the decoded box of each
      part's best-scoring anchor, pure tensor operations (exportable). Both give the same
      box (ties: the lowest anchor index) unless the size filter removes that box.
    - ``score_thr`` (float): a part is detected when its best score reaches it. Defaults to
      0.5.
    - ``nms_pre`` (int): candidates per part (-1: all). Defaults to 1000.
    - ``nms`` (dict): mmdet's RPN NMS config; accepted, but it cannot change the selected
      box (see ``'nms'`` above).
    - ``min_bbox_size`` (float): see above, ``'nms'`` only; -1 disables. Defaults to -1.

    Args:
        in_channels (int): Channels of the input feature map.
        num_classes (int): Number of part classes N_part. Defaults to 7.
        num_convs (int): Convolutions of the shared ``rpn_conv``. Defaults to 1.
        anchor_generator (dict): One-level anchor generator. Defaults to Faster R-CNN's
            3 scales x 3 ratios, ``dict(type='AnchorGenerator', scales=[8, 16, 32],
            ratios=[0.5, 1.0, 2.0], strides=[16])`` (128..512-pixel anchors at stride 16).
        init_cfg (dict or list[dict]): Initialization config. Defaults to
            ``dict(type='Normal', layer='Conv2d', std=0.01)``.
        **kwargs: ``AnchorHead`` arguments (``feat_channels`` = K, defaults to 256;
            ``bbox_coder``, ``loss_cls``, ``loss_bbox``, ``train_cfg``, ``test_cfg``).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 7,
                 num_convs: int = 1,
                 anchor_generator: ConfigType = dict(
                     type='AnchorGenerator',
                     scales=[8, 16, 32],
                     ratios=[0.5, 1.0, 2.0],
                     strides=[16]),
                 init_cfg: MultiConfig = dict(type='Normal', layer='Conv2d', std=0.01),
                 **kwargs) -> None:
        self.num_convs = num_convs
        # RPNHead.__init__ insists on one class; its layers, forward and loss are reused as is.
        AnchorHead.__init__(self, num_classes=num_classes, in_channels=in_channels,
                            anchor_generator=anchor_generator, init_cfg=init_cfg, **kwargs)
        if self.prior_generator.num_levels != 1:
            raise ValueError('PartRPNHead works on one feature map: anchor_generator.strides '
                             f'must hold one stride, got {self.prior_generator.strides}')
        test_cfg = self.test_cfg if self.test_cfg is not None else {}
        part_select = test_cfg.get('part_select', 'nms')
        if part_select not in PART_SELECT_MODES:
            raise ValueError(f'PartRPNHead test_cfg.part_select must be one of '
                             f'{PART_SELECT_MODES}, got {part_select!r}')

    @property
    def stride(self) -> Tuple[float, float]:
        """tuple[float, float]: The (x, y) stride of the feature map in input pixels."""
        stride = self.prior_generator.strides[0]
        return float(stride[0]), float(stride[1])

    def conv_features(self, x: Tensor) -> Tensor:
        """The shared RPN convolution features (after ReLU) that the R-MAC pools.

        Args:
            x (Tensor): Backbone features ``[B, in_channels, H, W]``.

        Returns:
            Tensor: ``[B, feat_channels, H, W]``.
        """
        return F.relu(self.rpn_conv(x))

    def forward_from_conv(self, feat: Tensor) -> Tuple[Tensor, Tensor]:
        """The sibling 1x1 convolutions on the shared features.

        Args:
            feat (Tensor): Output of :meth:`conv_features`.

        Returns:
            tuple[Tensor, Tensor]: Scores ``[B, A*num_classes, H, W]`` and box deltas
            ``[B, A*4, H, W]``.
        """
        return self.rpn_cls(feat), self.rpn_reg(feat)

    def forward_single(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Scores and box deltas of one feature map (see :meth:`forward_from_conv`)."""
        return self.forward_from_conv(self.conv_features(x))

    def loss_by_feat(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """The RPN losses (``loss_rpn_cls``, ``loss_rpn_bbox``) on the part boxes.

        Raises:
            ValueError: A part label outside ``0..num_classes-1`` (mmdet would silently treat
                it as background).
        """
        for gt, meta in zip(batch_gt_instances, batch_img_metas):
            labels = gt.labels
            if labels.numel() and (int(labels.min()) < 0
                                   or int(labels.max()) >= self.num_classes):
                raise ValueError(
                    f'PartRPNHead: part labels must be in 0..{self.num_classes - 1} '
                    f'(num_classes={self.num_classes}), got {labels.tolist()} for image '
                    f'{meta.get("img_path", meta.get("img_id", "?"))}')
        return super().loss_by_feat(cls_scores, bbox_preds, batch_gt_instances,
                                    batch_img_metas, batch_gt_instances_ignore)

    def _flat_outputs(self, cls_scores: List[Tensor],
                      bbox_preds: List[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
        """Per-anchor part scores ``[B, A, N]``, deltas ``[B, A, 4]`` and anchors ``[A, 4]``."""
        num_imgs = cls_scores[0].size(0)
        priors = self.prior_generator.grid_priors(
            [c.shape[-2:] for c in cls_scores], dtype=cls_scores[0].dtype,
            device=cls_scores[0].device)[0]
        logits = cls_scores[0].permute(0, 2, 3, 1).reshape(num_imgs, -1, self.cls_out_channels)
        if self.use_sigmoid_cls:
            scores = logits.sigmoid()
        else:
            scores = logits.softmax(-1)[..., :-1]
        deltas = bbox_preds[0].permute(0, 2, 3, 1).reshape(num_imgs, -1,
                                                          self.bbox_coder.encode_size)
        return scores, deltas, priors

    @staticmethod
    def _clip(boxes: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Clip ``[B, M, 4]`` boxes to each image's ``img_shape`` (x to [0, W], y to [0, H])."""
        bounds = boxes.new_tensor([[m['img_shape'][1], m['img_shape'][0]]
                                   for m in batch_img_metas])[:, None, :].repeat(1, 1, 2)
        return torch.minimum(boxes.clamp(min=0), bounds)

    def _select_max(self, scores: Tensor, deltas: Tensor, priors: Tensor,
                    batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor, Tensor]:
        """Each part's best-scoring anchor, decoded: boxes ``[B, N, 4]``, scores ``[B, N]``
        and a found mask ``[B, N]`` (all True)."""
        best_scores, best_idx = scores.max(dim=1)
        sel_deltas = deltas.gather(1, best_idx[..., None].expand(-1, -1, deltas.size(-1)))
        boxes = self.bbox_coder.decode(priors[best_idx.reshape(-1)],
                                       sel_deltas.reshape(-1, sel_deltas.size(-1)))
        boxes = self._clip(boxes.reshape(*best_idx.shape, 4), batch_img_metas)
        return boxes, best_scores, torch.ones_like(best_scores, dtype=torch.bool)

    def _select_nms(self, scores: Tensor, deltas: Tensor, priors: Tensor,
                    batch_img_metas: List[dict],
                    cfg: ConfigDict) -> Tuple[Tensor, Tensor, Tensor]:
        """Per part: the best-scoring candidate box that passes the size filter. Returns
        boxes ``[B, N, 4]``, scores ``[B, N]`` and whether a box survived the filter
        ``[B, N]``.

        The candidates of a part are its ``nms_pre`` best anchors (an anchor is one when
        fewer than ``nms_pre`` anchors of the part score higher). Per-part NMS keeps the
        best candidate first, so it is taken directly (ties: the lowest anchor index) and
        the NMS is not run. The deltas do not depend on the part, so every anchor is decoded
        once, for all images and parts at once.
        """
        num_imgs, num_anchors, num_parts = scores.shape
        nms_pre = cfg.get('nms_pre', 1000)
        min_size = cfg.get('min_bbox_size', -1)
        boxes = self.bbox_coder.decode(
            priors.repeat(num_imgs, 1), deltas.reshape(-1, deltas.size(-1)))
        boxes = self._clip(boxes.reshape(num_imgs, num_anchors, 4), batch_img_metas)
        if min_size >= 0:
            wh = boxes[..., 2:] - boxes[..., :2]
            keep = (wh > min_size).all(dim=-1)  # [B, A]
        else:
            keep = boxes.new_ones(boxes.shape[:2], dtype=torch.bool)
        part_anchor_scores = scores.transpose(1, 2).contiguous()  # [B, N, A]
        best_scores, best_idx = part_anchor_scores.masked_fill(
            ~keep[:, None], torch.finfo(scores.dtype).min).max(dim=-1)  # [B, N]
        found = keep.any(dim=1, keepdim=True).expand(-1, num_parts)
        if 0 < nms_pre < num_anchors:
            higher = (part_anchor_scores > best_scores[..., None]).sum(dim=-1)
            found = found & (higher < nms_pre)
        part_boxes = boxes.gather(1, best_idx[..., None].expand(-1, -1, 4))
        part_boxes = torch.where(found[..., None], part_boxes, part_boxes.new_zeros(()))
        # A part with no candidate left keeps its best raw score (it is then missed).
        part_scores = torch.where(found, best_scores, part_anchor_scores.amax(dim=-1))
        return part_boxes, part_scores, found

    def select_parts(self,
                     cls_scores: List[Tensor],
                     bbox_preds: List[Tensor],
                     batch_img_metas: List[dict],
                     cfg: Optional[ConfigDict] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """The best box of every part class in every image, in network-input pixels.

        Args:
            cls_scores (list[Tensor]): One level of scores ``[B, A*N, H, W]``.
            bbox_preds (list[Tensor]): One level of deltas ``[B, A*4, H, W]``.
            batch_img_metas (list[dict]): Image metas (``img_shape`` clips the boxes).
            cfg (ConfigDict, optional): Test config; ``self.test_cfg`` when None.
                Defaults to None.

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``boxes [B, N, 4]`` (zeros for a missed part),
            ``scores [B, N]`` (the part's best score, also when missed) and
            ``detected [B, N]`` (bool), parts in class order.
        """
        cfg = self.test_cfg if cfg is None else cfg
        cfg = {} if cfg is None else cfg
        scores, deltas, priors = self._flat_outputs(cls_scores, bbox_preds)
        mode = cfg.get('part_select', 'nms')
        if mode == 'max':
            boxes, part_scores, found = self._select_max(scores, deltas, priors,
                                                         batch_img_metas)
        elif mode == 'nms':
            boxes, part_scores, found = self._select_nms(scores, deltas, priors,
                                                         batch_img_metas, cfg)
        else:
            raise ValueError(f'PartRPNHead test_cfg.part_select must be one of '
                             f'{PART_SELECT_MODES}, got {mode!r}')
        detected = found & (part_scores >= cfg.get('score_thr', 0.5))
        boxes = boxes * detected[..., None].to(boxes.dtype)
        return boxes, part_scores, detected

    def predict_by_feat(self,
                        cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        score_factors: Optional[List[Tensor]] = None,
                        batch_img_metas: Optional[List[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """Exactly one row per part class, in part order, for each image.

        Args:
            cls_scores (list[Tensor]): One level of scores ``[B, A*N, H, W]``.
            bbox_preds (list[Tensor]): One level of deltas ``[B, A*4, H, W]``.
            score_factors (list[Tensor], optional): Unused (mmdet signature).
                Defaults to None.
            batch_img_metas (list[dict], optional): Image metas. Defaults to None.
            cfg (ConfigDict, optional): Test config; ``self.test_cfg`` when None.
                Defaults to None.
            rescale (bool): Whether boxes go back to original image pixels (``scale_factor``).
                Defaults to False.
            with_nms (bool): Unused; the selection follows ``cfg.part_select``.
                Defaults to True.

        Returns:
            list[InstanceData]: ``bboxes [N, 4]`` (zeros for a missed part), ``scores [N]``,
            ``labels [N]`` (= part index) and ``detected [N]`` (bool) per image.
        """
        if batch_img_metas is None:
            raise ValueError('PartRPNHead.predict_by_feat needs batch_img_metas')
        boxes, scores, detected = self.select_parts(cls_scores, bbox_preds, batch_img_metas,
                                                    cfg)
        return self.to_instances(boxes, scores, detected, batch_img_metas, rescale)

    def to_instances(self, boxes: Tensor, scores: Tensor, detected: Tensor,
                     batch_img_metas: List[dict], rescale: bool = False) -> InstanceList:
        """Pack :meth:`select_parts` outputs into one ``InstanceData`` per image.

        Args:
            boxes (Tensor): ``[B, N, 4]`` in network-input pixels.
            scores (Tensor): ``[B, N]``.
            detected (Tensor): ``[B, N]`` bool.
            batch_img_metas (list[dict]): Image metas (``scale_factor`` when rescaling).
            rescale (bool): Whether boxes go back to original image pixels.
                Defaults to False.

        Returns:
            list[InstanceData]: See :meth:`predict_by_feat`.
        """
        results = []
        labels = torch.arange(boxes.size(1), device=boxes.device)
        for img_boxes, img_scores, img_detected, meta in zip(boxes, scores, detected,
                                                             batch_img_metas):
            if rescale:
                scale = img_boxes.new_tensor(meta['scale_factor']).repeat(2)
                img_boxes = img_boxes / scale
            results.append(InstanceData(bboxes=img_boxes, scores=img_scores, labels=labels,
                                        detected=img_detected))
        return results
