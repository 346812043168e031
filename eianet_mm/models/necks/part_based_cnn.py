"""The Part-based CNN: global and coarse local (half-map) features of the backbone map."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

FC_POOL_TYPES = ('avg', 'max')


@MODELS.register_module()
class PartBasedCNN(BaseModule):
    """Part-based CNN of the EIA-Net (after Cheng et al., CVPR 2016, with one full-body and
    two body-part channels).

    One shared convolution on the backbone map; then three channels:

    - full body: 2 x (conv, 2x2 max pooling), on the whole shared map;
    - two body parts: the shared map cut along the height into two equal halves (top rows
      ``[0, ceil(H/2))``, bottom rows ``[floor(H/2), H)``: equal halves that share the middle
      row when H is odd), each through its own 2 convolutions.

    Each channel ends in its own fully-connected layer (``fc_channels`` outputs, no
    activation) whose input is the channel's map adaptively pooled to ``fc_in_size`` and
    flattened, so any input size works; the three outputs are concatenated into
    ``3 * fc_channels`` = C features (600 in the paper).

    Args:
        in_channels (int): Channels of the backbone map.
        shared_channels (int): Width of the shared convolution. Defaults to 256.
        body_channels (Sequence[int]): Widths of the full-body channel's 2 convolutions.
            Defaults to (256, 256).
        half_channels (Sequence[int]): Widths of each half channel's 2 convolutions.
            Defaults to (256, 256).
        fc_channels (int): Outputs of each channel's FC layer. Defaults to 200.
        fc_in_size (Sequence[int]): ``(h, w)`` grid each channel's map is pooled to before its
            FC layer. Defaults to (2, 2).
        fc_pool (str): ``'avg'`` or ``'max'`` adaptive pooling before the FC layers.
            Defaults to ``'avg'``.
        conv_cfg (dict, optional): Convolution config of the ``ConvModule`` layers.
            Defaults to None.
        norm_cfg (dict, optional): Normalization config. Defaults to None.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        init_cfg (dict or list[dict], optional): Initialization config. Defaults to Kaiming
            (normal, fan-out) for the convolutions and the FC layers. With Normal(std=0.01) FC
            layers (mmdet's classifier init) the C features start ~0.01 in size and Plain
            DRDL's softmax stayed at ln(classes) on 6 of 14 SynthCars seeds
            (docs/synthcars_learning.md, section 14).
    """

    def __init__(self,
                 in_channels: int,
                 shared_channels: int = 256,
                 body_channels: Sequence[int] = (256, 256),
                 half_channels: Sequence[int] = (256, 256),
                 fc_channels: int = 200,
                 fc_in_size: Sequence[int] = (2, 2),
                 fc_pool: str = 'avg',
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = [
                     dict(type='Kaiming', layer='Conv2d'),
                     dict(type='Kaiming', layer='Linear')]) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(body_channels) != 2 or len(half_channels) != 2:
            raise ValueError('PartBasedCNN: body_channels and half_channels must each hold 2 '
                             f'widths, got {tuple(body_channels)} and {tuple(half_channels)}')
        if fc_pool not in FC_POOL_TYPES:
            raise ValueError(f'PartBasedCNN fc_pool must be one of {FC_POOL_TYPES}, '
                             f'got {fc_pool!r}')
        self.fc_channels = fc_channels
        self.out_channels = 3 * fc_channels
        conv_kw = dict(padding=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.shared_conv = ConvModule(in_channels, shared_channels, 3, **conv_kw)
        self.body_convs = nn.Sequential(
            ConvModule(shared_channels, body_channels[0], 3, **conv_kw),
            nn.MaxPool2d(2, 2, ceil_mode=True),
            ConvModule(body_channels[0], body_channels[1], 3, **conv_kw),
            nn.MaxPool2d(2, 2, ceil_mode=True))
        self.half_convs = nn.ModuleList(
            nn.Sequential(ConvModule(shared_channels, half_channels[0], 3, **conv_kw),
                          ConvModule(half_channels[0], half_channels[1], 3, **conv_kw))
            for _ in range(2))
        pool = nn.AdaptiveAvgPool2d if fc_pool == 'avg' else nn.AdaptiveMaxPool2d
        self.fc_pool = pool(tuple(fc_in_size))
        cells = int(fc_in_size[0]) * int(fc_in_size[1])
        self.body_fc = nn.Linear(body_channels[1] * cells, fc_channels)
        self.half_fcs = nn.ModuleList(
            nn.Linear(half_channels[1] * cells, fc_channels) for _ in range(2))

    @staticmethod
    def split_halves(x: Tensor) -> Tuple[Tensor, Tensor]:
        """Cut a map into two equal halves along the height (sharing the middle row when the
        height is odd).

        Args:
            x (Tensor): ``[B, C, H, W]``.

        Returns:
            tuple[Tensor, Tensor]: Top and bottom halves, each ``[B, C, ceil(H/2), W]``.
        """
        height = x.size(-2)
        return x[..., :(height + 1) // 2, :], x[..., height // 2:, :]

    def forward(self, x: Tensor) -> Tensor:
        """Compute the Part-based CNN features.

        Args:
            x (Tensor): Backbone map ``[B, in_channels, H, W]``.

        Returns:
            Tensor: ``[B, 3 * fc_channels]``: full body, top half, bottom half.
        """
        shared = self.shared_conv(x)
        outs = [self.body_fc(self.fc_pool(self.body_convs(shared)).flatten(1))]
        for half, convs, fc in zip(self.split_halves(shared), self.half_convs, self.half_fcs):
            outs.append(fc(self.fc_pool(convs(half)).flatten(1)))
        return torch.cat(outs, dim=1)
