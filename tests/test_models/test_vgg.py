"""VGG backbone: torchvision layer indices, strides, frozen stages."""
import pytest
import torch

from eianet_mm.models.backbones import VGG

# torchvision's vgg16().features: the indices of its conv layers
TORCHVISION_VGG16_CONVS = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]


def test_vgg16_matches_torchvision_keys_and_conv5_3():
    vgg = VGG(depth=16, init_cfg=None)
    keys = {k for k in vgg.state_dict()}
    assert keys == {f'features.{i}.{p}' for i in TORCHVISION_VGG16_CONVS
                    for p in ('weight', 'bias')}
    out = vgg(torch.zeros(1, 3, 64, 48))
    assert len(out) == 1 and out[0].shape == (1, 512, 4, 3)  # conv5_3, stride 16
    assert vgg.out_channels == (512, )


def test_stage_outputs_and_last_pool():
    vgg = VGG(depth=11, num_stages=3, out_indices=(0, 2), with_last_pool=True, init_cfg=None)
    outs = vgg(torch.zeros(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 16, 16), (2, 256, 4, 4)]


def test_frozen_stages():
    vgg = VGG(depth=16, frozen_stages=1, init_cfg=None)
    frozen = [n for n, p in vgg.named_parameters() if not p.requires_grad]
    assert frozen == [f'features.{i}.{p}' for i in (0, 2, 5, 7) for p in ('weight', 'bias')]


def test_bad_arguments():
    with pytest.raises(ValueError, match='depth'):
        VGG(depth=15)
    with pytest.raises(ValueError, match='out_indices'):
        VGG(num_stages=3, out_indices=(3, ))
