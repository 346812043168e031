"""RMACPooling: masked per-part max pooling against a direct per-part loop."""
import math

import pytest
import torch

from eianet_mm.models.necks import RMACPooling


def reference_cells(low: float, high: float, stride: float, size: int, rule: str) -> list:
    """Covered cells along one axis, written directly from the documented rule."""
    if rule == 'center':
        cells = [c for c in range(size) if low <= (c + 0.5) * stride <= high]
    else:
        cells = [c for c in range(size) if c * stride < high and (c + 1) * stride > low]
    if not cells:
        centre = math.floor((low + high) / 2 / stride)
        cells = [min(max(centre, 0), size - 1)]
    return cells


def reference_rmac(feats, boxes, valid, stride, rule):
    """Per image, per part: max over the covered cells, zeros when not valid."""
    sx, sy = stride
    num_imgs, num_parts = boxes.shape[:2]
    height, width = feats.shape[-2:]
    out = torch.zeros(num_imgs, num_parts, feats.size(1))
    for b in range(num_imgs):
        for j in range(num_parts):
            if not valid[b, j]:
                continue
            x1, y1, x2, y2 = [float(v) for v in boxes[b, j]]
            rows = reference_cells(y1, y2, sy, height, rule)
            cols = reference_cells(x1, x2, sx, width, rule)
            region = feats[b][:, rows][:, :, cols]
            out[b, j] = region.reshape(feats.size(1), -1).max(dim=1).values
    return out


@pytest.mark.parametrize('rule', ['center', 'overlap'])
@pytest.mark.parametrize('stride', [(8.0, 8.0), (4.0, 8.0)])
def test_matches_per_part_loop(rule, stride):
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(3, 5, 6, 7, generator=gen)
    width, height = 7 * stride[0], 6 * stride[1]
    xy1 = torch.rand(3, 6, 2, generator=gen) * torch.tensor([width, height])
    wh = torch.rand(3, 6, 2, generator=gen) * torch.tensor([width, height]) * 0.6
    boxes = torch.cat([xy1, xy1 + wh], dim=-1)
    boxes[0, 0] = torch.tensor([9.0, 9.5, 10.0, 11.0])  # smaller than one cell
    boxes[0, 1] = torch.tensor([-5.0, -3.0, 200.0, 300.0])  # larger than the map
    valid = torch.rand(3, 6, generator=gen) > 0.3
    valid[0, :2] = True
    pooled = RMACPooling(coverage=rule)(feats, boxes, valid, stride)
    assert pooled.shape == (3, 6, 5)
    assert torch.equal(pooled, reference_rmac(feats, boxes, valid, stride, rule))
    # The whole-map box pools the global max of every channel.
    assert torch.equal(pooled[0, 1], feats[0].amax(dim=(1, 2)))


def test_missed_part_is_zero_vector():
    feats = torch.rand(2, 4, 5, 5) + 1.0  # strictly positive: a zero can only be padding
    boxes = torch.tensor([[[0.0, 0.0, 16.0, 16.0], [8.0, 8.0, 30.0, 30.0]],
                          [[0.0, 0.0, 0.0, 0.0], [4.0, 4.0, 12.0, 12.0]]])
    valid = torch.tensor([[True, False], [False, True]])
    pooled = RMACPooling()(feats, boxes, valid, 8)
    assert torch.equal(pooled[0, 1], torch.zeros(4))
    assert torch.equal(pooled[1, 0], torch.zeros(4))
    assert (pooled[0, 0] > 0).all() and (pooled[1, 1] > 0).all()


@pytest.mark.parametrize('rule,box,rows,cols', [
    # cells whose centres (4, 12, 20, ...) lie inside, bounds included
    ('center', (4.0, 4.0, 12.0, 12.0), (0, 1), (0, 1)),
    ('center', (8.0, 8.0, 16.0, 16.0), (1, 1), (1, 1)),
    # smaller than a cell and containing no centre: the cell holding the box centre
    ('center', (9.0, 17.0, 11.0, 19.0), (2, 2), (1, 1)),
    # a zero-size box on a cell border: the cell holding it
    ('center', (16.0, 16.0, 16.0, 16.0), (2, 2), (2, 2)),
    ('overlap', (16.0, 16.0, 16.0, 16.0), (2, 2), (2, 2)),
    # overlap: every cell the box touches with positive area
    ('overlap', (7.0, 8.0, 17.0, 16.0), (1, 1), (0, 2)),
    ('overlap', (8.0, 8.0, 16.0, 16.0), (1, 1), (1, 1)),
    # beyond the map (5 x 5 cells = 40 pixels): clipped to the last cell
    ('center', (30.0, 30.0, 90.0, 90.0), (4, 4), (4, 4)),
    ('overlap', (-20.0, 0.0, 3.0, 7.0), (0, 0), (0, 0)),
])
def test_cell_ranges_edge_cases(rule, box, rows, cols):
    pool = RMACPooling(coverage=rule)
    r0, r1, c0, c1 = pool.cell_ranges(torch.tensor([box]), 8, 5, 5)
    assert (int(r0), int(r1)) == rows
    assert (int(c0), int(c1)) == cols
    mask = pool.part_masks(torch.tensor([[box]]), 8, 5, 5)[0, 0]
    expected = torch.zeros(5, 5, dtype=torch.bool)
    expected[rows[0]:rows[1] + 1, cols[0]:cols[1] + 1] = True
    assert torch.equal(mask, expected)


def test_anisotropic_stride_maps_each_axis():
    pool = RMACPooling()
    # x stride 4, y stride 16: x 6..14 covers centres 6, 10, 14 -> cols 1..3; y 0..16 -> row 0
    r0, r1, c0, c1 = pool.cell_ranges(torch.tensor([[6.0, 0.0, 14.0, 16.0]]), (4, 16), 4, 8)
    assert (int(r0), int(r1), int(c0), int(c1)) == (0, 0, 1, 3)


def test_gradient_reaches_only_the_max_cell():
    feats = torch.zeros(1, 1, 4, 4)
    feats[0, 0, 1, 2] = 5.0
    feats[0, 0, 3, 3] = 9.0  # outside the box
    feats.requires_grad_(True)
    pooled = RMACPooling()(feats, torch.tensor([[[0.0, 0.0, 24.0, 16.0]]]),
                           torch.tensor([[True]]), 8)
    assert float(pooled.detach()) == 5.0
    pooled.sum().backward()
    expected = torch.zeros(1, 1, 4, 4)
    expected[0, 0, 1, 2] = 1.0
    assert torch.equal(feats.grad, expected)


def test_bad_inputs():
    with pytest.raises(ValueError, match='coverage'):
        RMACPooling(coverage='round')
    pool = RMACPooling()
    with pytest.raises(ValueError, match=r'boxes \[B, N, 4\]'):
        pool(torch.zeros(2, 3, 4, 4), torch.zeros(2, 4), torch.ones(2, 1, dtype=torch.bool), 8)
    with pytest.raises(ValueError, match=r'valid \[B, N\]'):
        pool(torch.zeros(2, 3, 4, 4), torch.zeros(2, 5, 4), torch.ones(2, 4, dtype=torch.bool),
             8)
