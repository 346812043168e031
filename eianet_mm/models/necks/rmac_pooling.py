"""The modified R-MAC: masked max pooling of a feature map inside each part box."""
from typing import Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig

COVERAGE_RULES = ('center', 'overlap')


@MODELS.register_module()
class RMACPooling(BaseModule):
    """Per-part maximum activation of convolutions (the paper's modified R-MAC, eq. 2).

    For part j of an image, every channel is max-pooled over the feature cells inside part
    j's box, giving f_j in R^K; a missed part (``valid`` False) gives a zero vector. Boxes are
    in network-input pixels and map to cells by the stride: cell ``(r, c)`` covers pixels
    ``[c*sx, (c+1)*sx) x [r*sy, (r+1)*sy)``. Per axis, the covered cells are

    - ``'center'`` (default): the cells whose centre lies inside the box (bounds included);
    - ``'overlap'``: the cells the box overlaps;

    and, when that leaves no cell on an axis (a box smaller than one cell), the cell that
    contains the box centre. Ranges are clipped to the map. All operations are tensor
    operations over batch and parts (a ``[B, N, H, W]`` mask and a masked max), with no
    data-dependent control flow, so the module can be exported.

    Args:
        coverage (str): ``'center'`` or ``'overlap'``, see above. Defaults to ``'center'``.
        init_cfg (dict or list[dict], optional): Initialization config. Defaults to None.
    """

    def __init__(self, coverage: str = 'center', init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if coverage not in COVERAGE_RULES:
            raise ValueError(f'RMACPooling coverage must be one of {COVERAGE_RULES}, '
                             f'got {coverage!r}')
        self.coverage = coverage

    def _axis_range(self, low: Tensor, high: Tensor, stride: float,
                    size: int) -> Tuple[Tensor, Tensor]:
        """First and last covered cell (inclusive) along one axis for box extents."""
        if self.coverage == 'center':
            first = torch.ceil(low / stride - 0.5)
            last = torch.floor(high / stride - 0.5)
        else:
            first = torch.floor(low / stride)
            last = torch.ceil(high / stride) - 1
        centre = torch.floor((low + high) / (2 * stride))
        empty = last < first
        first = torch.where(empty, centre, first).clamp(0, size - 1)
        last = torch.where(empty, centre, last).clamp(0, size - 1)
        return first.long(), last.long()

    def cell_ranges(self, boxes: Tensor, stride: Union[float, Sequence[float]], height: int,
                    width: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """The covered cells of every box.

        Args:
            boxes (Tensor): ``[..., 4]`` boxes ``(x1, y1, x2, y2)`` in input pixels.
            stride (float or Sequence[float]): Feature stride, one value or ``(sx, sy)``.
            height (int): Feature map height H.
            width (int): Feature map width W.

        Returns:
            tuple[Tensor]: ``row_first, row_last, col_first, col_last`` (inclusive, long),
            each of shape ``boxes.shape[:-1]``.
        """
        sx, sy = (float(stride), float(stride)) if isinstance(stride, (int, float)) else (
            float(stride[0]), float(stride[1]))
        col_first, col_last = self._axis_range(boxes[..., 0], boxes[..., 2], sx, width)
        row_first, row_last = self._axis_range(boxes[..., 1], boxes[..., 3], sy, height)
        return row_first, row_last, col_first, col_last

    def part_masks(self, boxes: Tensor, stride: Union[float, Sequence[float]], height: int,
                   width: int) -> Tensor:
        """Boolean masks ``[B, N, H, W]`` of the cells each box covers.

        Args:
            boxes (Tensor): ``[B, N, 4]`` boxes in input pixels.
            stride (float or Sequence[float]): Feature stride, one value or ``(sx, sy)``.
            height (int): Feature map height H.
            width (int): Feature map width W.

        Returns:
            Tensor: ``[B, N, H, W]`` bool.
        """
        r0, r1, c0, c1 = self.cell_ranges(boxes, stride, height, width)
        rows = torch.arange(height, device=boxes.device)
        cols = torch.arange(width, device=boxes.device)
        in_rows = (rows >= r0[..., None]) & (rows <= r1[..., None])  # [B, N, H]
        in_cols = (cols >= c0[..., None]) & (cols <= c1[..., None])  # [B, N, W]
        return in_rows[..., :, None] & in_cols[..., None, :]

    def forward(self, feats: Tensor, boxes: Tensor, valid: Tensor,
                stride: Union[float, Sequence[float]]) -> Tensor:
        """Pool the features of every part.

        Args:
            feats (Tensor): Feature map ``[B, K, H, W]`` (the RPN conv features).
            boxes (Tensor): Part boxes ``[B, N, 4]`` in input pixels, in part order.
            valid (Tensor): ``[B, N]`` bool, False for a missed part.
            stride (float or Sequence[float]): Feature stride, one value or ``(sx, sy)``.

        Returns:
            Tensor: ``[B, N, K]``; zeros for a missed part.
        """
        if boxes.dim() != 3 or boxes.size(-1) != 4 or boxes.size(0) != feats.size(0):
            raise ValueError(f'RMACPooling expects boxes [B, N, 4] with B={feats.size(0)}, '
                             f'got {tuple(boxes.shape)}')
        if valid.shape != boxes.shape[:2]:
            raise ValueError(f'RMACPooling expects valid [B, N] = {tuple(boxes.shape[:2])}, '
                             f'got {tuple(valid.shape)}')
        height, width = feats.shape[-2:]
        masks = self.part_masks(boxes, stride, height, width)  # [B, N, H, W]
        lowest = torch.finfo(feats.dtype).min
        masked = torch.where(masks[:, :, None], feats[:, None], feats.new_tensor(lowest))
        pooled = masked.amax(dim=(-2, -1))  # [B, N, K]
        return torch.where(valid[..., None], pooled, pooled.new_zeros(()))
