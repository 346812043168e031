"""A learned affine map of each part's R-MAC vector (not in the paper)."""
import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig


@MODELS.register_module()
class PartProjection(BaseModule):
    """Per-part affine projection of the R-MAC part vectors: ``g_j = f_j W_j + b_j`` (row
    vectors) for a detected part j, zero for a missed one.

    Not in the paper. R-MAC as Tolias et al. define it whitens each regional vector with a
    learned (PCA) projection before aggregating; the paper compares the raw max-pooled RPN
    features. On SynthCars those raw part vectors are nearly parallel (ReLU features share a
    common direction); learned with the metric losses, the projection raised EIA-Net's
    year-level accuracy on 8 of 9 seed x level cells over three seeds, to +0.010 over Plain
    DRDL on average over five (within the noise; docs/synthcars_learning.md, sections 7-8).
    Every ``W_j`` starts as the identity and every ``b_j`` at zero, so an untrained
    projection changes nothing.

    Args:
        num_parts (int): Number of parts N (the detector passes it).
        channels (int): Channels K of a part vector (the detector passes it).
        init_cfg (dict or list[dict], optional): Initialization config. Defaults to None.
    """

    def __init__(self, num_parts: int, channels: int, init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_parts < 1 or channels < 1:
            raise ValueError(f'PartProjection needs num_parts >= 1 and channels >= 1, got '
                             f'num_parts={num_parts}, channels={channels}')
        self.num_parts = num_parts
        self.channels = channels
        self.weight = nn.Parameter(torch.eye(channels).repeat(num_parts, 1, 1))  # [N, K, K]
        self.bias = nn.Parameter(torch.zeros(num_parts, channels))  # [N, K]

    def forward(self, part_feats: Tensor, valid: Tensor) -> Tensor:
        """Project every part vector.

        Args:
            part_feats (Tensor): ``[B, N, K]`` R-MAC part vectors.
            valid (Tensor): ``[B, N]`` bool, False for a missed part.

        Returns:
            Tensor: ``[B, N, K]``, ``f_j @ W_j + b_j`` per part; zeros for a missed part.
        """
        expected = (self.num_parts, self.channels)
        if part_feats.dim() != 3 or tuple(part_feats.shape[1:]) != expected:
            raise ValueError(f'PartProjection expects part features [B, {expected[0]}, '
                             f'{expected[1]}], got {tuple(part_feats.shape)}')
        if valid.shape != part_feats.shape[:2]:
            raise ValueError(f'PartProjection expects valid [B, N] = '
                             f'{tuple(part_feats.shape[:2])}, got {tuple(valid.shape)}')
        projected = torch.einsum('bnk,nkj->bnj', part_feats, self.weight) + self.bias
        return torch.where(valid[..., None], projected, projected.new_zeros(()))
