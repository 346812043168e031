"""Global pooling + one FC layer: the "FC feature" of the baselines."""
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig

POOL_TYPES = ('avg', 'max')


@MODELS.register_module()
class GlobalPoolingFC(BaseModule):
    """Global pooling of the backbone map followed by one fully-connected layer: the FC
    feature of the "FC feature + SVM / Joint Bayesian" baselines (a network trained as a
    classifier, its FC layer used as the feature) and a plain global embedding.

    Args:
        in_channels (int): Channels of the backbone map.
        out_channels (int): Feature dimension. Defaults to 256.
        pool_type (str): ``'avg'`` (global average pooling) or ``'max'``. Defaults to
            ``'avg'``.
        with_act (bool): Whether a ReLU follows the FC layer (as the fc7 features of the
            CompCars baselines). Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config. Defaults to
            ``dict(type='Normal', layer='Linear', std=0.01)``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 256,
                 pool_type: str = 'avg',
                 with_act: bool = False,
                 init_cfg: OptMultiConfig = dict(type='Normal', layer='Linear',
                                                 std=0.01)) -> None:
        super().__init__(init_cfg=init_cfg)
        if pool_type not in POOL_TYPES:
            raise ValueError(f'GlobalPoolingFC pool_type must be one of {POOL_TYPES}, '
                             f'got {pool_type!r}')
        self.out_channels = out_channels
        self.pool = nn.AdaptiveAvgPool2d(1) if pool_type == 'avg' else nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(in_channels, out_channels)
        self.act = nn.ReLU() if with_act else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        """Compute the feature.

        Args:
            x (Tensor): Backbone map ``[B, in_channels, H, W]``.

        Returns:
            Tensor: ``[B, out_channels]``.
        """
        return self.act(self.fc(self.pool(x).flatten(1)))
