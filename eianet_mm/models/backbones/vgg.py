"""A plain VGG backbone (no classifier) whose weights load from torchvision's VGG checkpoints."""
from typing import List, Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig


@MODELS.register_module()
class VGG(BaseModule):
    """VGG backbone (Simonyan & Zisserman), the paper's verification backbone.

    The layers live in ``self.features`` with torchvision's indices (conv, ReLU, ..., max
    pool), so ``init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg16')`` loads
    ImageNet weights by name (the classifier keys of the checkpoint are ignored). mmdet 3.x
    only ships ``SSDVGG``, whose extra SSD layers the EIA-Net does not use.

    Args:
        depth (int): 11, 13, 16 or 19. Defaults to 16.
        num_stages (int): Number of stages built, 1..5. Defaults to 5.
        out_indices (Sequence[int]): Stages whose output is returned. Defaults to (4, ).
        with_last_pool (bool): Whether the last built stage ends with its max pooling (the
            EIA-Net uses conv5_3, stride 16, without it). Defaults to False.
        frozen_stages (int): Stages 0..frozen_stages whose parameters are frozen; -1 freezes
            none. Defaults to -1.
        init_cfg (dict or list[dict], optional): Initialization config. Defaults to Kaiming
            for the convolutions.
    """

    arch_settings = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3),
                     19: (2, 2, 4, 4, 4)}
    stage_channels = (64, 128, 256, 512, 512)

    def __init__(self,
                 depth: int = 16,
                 num_stages: int = 5,
                 out_indices: Sequence[int] = (4, ),
                 with_last_pool: bool = False,
                 frozen_stages: int = -1,
                 init_cfg: OptMultiConfig = dict(type='Kaiming', layer='Conv2d')) -> None:
        super().__init__(init_cfg=init_cfg)
        if depth not in self.arch_settings:
            raise ValueError(f'VGG depth must be one of {sorted(self.arch_settings)}, '
                             f'got {depth}')
        if not 1 <= num_stages <= 5:
            raise ValueError(f'VGG num_stages must be in 1..5, got {num_stages}')
        if not out_indices or any(not 0 <= i < num_stages for i in out_indices):
            raise ValueError(f'VGG out_indices must be stage indices in 0..{num_stages - 1}, '
                             f'got {tuple(out_indices)}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        layers: List[nn.Module] = []
        self.stage_ends: List[int] = []  # index in ``features`` of each stage's last layer
        self.stage_starts: List[int] = []
        in_channels = 3
        for stage, num_convs in enumerate(self.arch_settings[depth][:num_stages]):
            self.stage_starts.append(len(layers))
            out_channels = self.stage_channels[stage]
            for _ in range(num_convs):
                layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1),
                           nn.ReLU(inplace=True)]
                in_channels = out_channels
            if stage < num_stages - 1 or with_last_pool:
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            self.stage_ends.append(len(layers) - 1)
        self.features = nn.Sequential(*layers)
        self.out_channels = tuple(self.stage_channels[i] for i in self.out_indices)
        self._freeze_stages()

    def _freeze_stages(self) -> None:
        """Freeze the parameters of stages 0..frozen_stages."""
        for stage in range(self.frozen_stages + 1):
            for layer in self.features[self.stage_starts[stage]:self.stage_ends[stage] + 1]:
                for param in layer.parameters():
                    param.requires_grad_(False)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Run the stages.

        Args:
            x (Tensor): Images ``[B, 3, H, W]``.

        Returns:
            tuple[Tensor]: The outputs of the stages in ``out_indices``.
        """
        outs = []
        stage = 0
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index == self.stage_ends[stage]:
                if stage in self.out_indices:
                    outs.append(x)
                stage += 1
        return tuple(outs)
