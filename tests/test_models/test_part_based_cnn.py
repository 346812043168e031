"""PartBasedCNN and GlobalPoolingFC: output sizes, the half-map split, bad options."""
import pytest
import torch

from eianet_mm.models.necks import GlobalPoolingFC, PartBasedCNN


def small_cnn(**kwargs) -> PartBasedCNN:
    torch.manual_seed(0)
    cfg = dict(in_channels=6, shared_channels=4, body_channels=(5, 6), half_channels=(3, 7),
               fc_channels=9)
    cfg.update(kwargs)
    cnn = PartBasedCNN(**cfg)
    cnn.init_weights()
    return cnn.eval()


@pytest.mark.parametrize('size', [(8, 8), (14, 14), (7, 11), (1, 1)])
def test_output_dims_for_any_map_size(size):
    cnn = small_cnn()
    out = cnn(torch.randn(2, 6, *size))
    assert out.shape == (2, 27) and cnn.out_channels == 27
    assert torch.isfinite(out).all()


def test_paper_widths_give_600():
    cnn = PartBasedCNN(in_channels=512)
    assert cnn.out_channels == 600
    assert cnn(torch.randn(1, 512, 14, 14)).shape == (1, 600)


def test_fc_layers_start_kaiming_normal_fan_out():
    """The FC layers start at Kaiming scale (std sqrt(2 / outputs)), not mmdet's 0.01."""
    cnn = PartBasedCNN(in_channels=8, shared_channels=8, body_channels=(8, 64),
                       half_channels=(8, 64), fc_channels=50, fc_in_size=(4, 4))
    torch.manual_seed(0)
    cnn.init_weights()
    for fc in (cnn.body_fc, *cnn.half_fcs):
        assert fc.weight.shape == (50, 1024)
        assert abs(fc.weight.std().item() - (2 / 50) ** 0.5) < 0.01
        assert torch.count_nonzero(fc.bias) == 0


@pytest.mark.parametrize('height,top,bottom', [(8, range(0, 4), range(4, 8)),
                                               (7, range(0, 4), range(3, 7))])
def test_split_halves_equal_heights(height, top, bottom):
    x = torch.arange(height, dtype=torch.float32).view(1, 1, height, 1).expand(1, 2, height, 3)
    upper, lower = PartBasedCNN.split_halves(x)
    assert upper.shape == lower.shape == (1, 2, (height + 1) // 2, 3)
    assert upper[0, 0, :, 0].tolist() == list(top)
    assert lower[0, 0, :, 0].tolist() == list(bottom)


def test_each_half_channel_sees_only_its_half():
    """Changing the bottom input rows (beyond the shared 3x3 conv's reach of the top half)
    leaves the top-half features unchanged and changes the body and bottom-half ones."""
    cnn = small_cnn()
    x = torch.randn(1, 6, 8, 8)
    y = x.clone()
    y[:, :, 6:] += 5.0  # shared rows 5..7 change; the top half is shared rows 0..3
    fx, fy = cnn(x), cnn(y)
    body, top, low = slice(0, 9), slice(9, 18), slice(18, 27)
    assert torch.equal(fx[:, top], fy[:, top])
    assert not torch.allclose(fx[:, body], fy[:, body])
    assert not torch.allclose(fx[:, low], fy[:, low])


def test_every_parameter_gets_a_gradient():
    cnn = small_cnn(norm_cfg=dict(type='BN')).train()
    cnn(torch.randn(3, 6, 8, 8)).pow(2).sum().backward()
    for name, param in cnn.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_max_pooling_option_and_bad_options():
    assert small_cnn(fc_pool='max', fc_in_size=(1, 1))(torch.randn(1, 6, 4, 4)).shape == (1, 27)
    with pytest.raises(ValueError, match='fc_pool'):
        PartBasedCNN(in_channels=4, fc_pool='median')
    with pytest.raises(ValueError, match='2 widths'):
        PartBasedCNN(in_channels=4, body_channels=(8, 8, 8))


def test_global_pooling_fc():
    torch.manual_seed(0)
    fc = GlobalPoolingFC(in_channels=6, out_channels=5)
    x = torch.randn(2, 6, 4, 3)
    out = fc(x)
    assert out.shape == (2, 5) and fc.out_channels == 5
    assert torch.allclose(out, x.mean(dim=(2, 3)) @ fc.fc.weight.t() + fc.fc.bias)
    relu_max = GlobalPoolingFC(in_channels=6, out_channels=5, pool_type='max', with_act=True)
    expected = torch.relu(x.amax(dim=(2, 3)) @ relu_max.fc.weight.t() + relu_max.fc.bias)
    assert torch.allclose(relu_max(x), expected)
    with pytest.raises(ValueError, match='pool_type'):
        GlobalPoolingFC(in_channels=6, pool_type='gem')
