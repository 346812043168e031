"""The drawing functions: pixels where they belong, deterministic output, readable PNGs."""
import cv2
import numpy as np
import pytest

from eianet_mm.visualization import (activation_map, decision_text, draw_heatmap_row,
                                     draw_parts, draw_parts_grid, draw_ranking_list,
                                     draw_verify_pair, overlay_heatmap, part_color, write_png)
from eianet_mm.visualization.canvas import BLUE, GRAY, GREEN, RED, as_bgr_image, fit_in_box


def gray_image(h=100, w=160):
    return np.full((h, w, 3), 100, np.uint8)


def test_draw_parts_draws_detected_boxes_in_part_colours():
    image = gray_image()
    boxes = np.array([[10, 40, 50, 80], [0, 0, 0, 0], [90, 50, 140, 90]], np.float32)
    out = draw_parts(image, boxes, detected=[True, False, True], min_size=0,
                     part_names=['head_light', 'logo', 'wheel'], show_missed=False)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert tuple(out[60, 10]) == part_color(0)  # left edge of box 0
    assert tuple(out[70, 140]) == part_color(2)  # right edge of box 2
    assert tuple(out[60, 30]) == (100, 100, 100)  # inside box 0 untouched
    assert not (out == np.array(part_color(1), np.uint8)).all(-1).any()  # missed: not drawn
    np.testing.assert_array_equal(image, gray_image())  # input untouched


def test_draw_parts_enlarges_small_images_and_lists_missed_parts():
    image = gray_image(32, 64)
    boxes = np.array([[4, 4, 20, 20], [0, 0, 0, 0]], np.float32)
    out = draw_parts(image, boxes, scores=[0.9, 0.2], min_size=128)
    assert out.shape[1] == 256  # scaled by 128 / 32 = 4
    assert out.shape[0] > 128  # plus the caption strip
    assert tuple(out[40, 16]) == part_color(0)  # box edge x = 4 * 4
    # detected defaults to boxes of positive area: the zero box is listed as missed
    strip = out[128:]
    assert (strip < 100).any()  # some caption text
    with pytest.raises(ValueError, match=r'bboxes must have shape \[N, 4\]'):
        draw_parts(image, np.zeros((2, 3)))
    with pytest.raises(ValueError, match='scores has 1 rows, bboxes has 2'):
        draw_parts(image, boxes, scores=[0.1])


def test_drawing_is_deterministic_and_grid_aligns_columns():
    image = gray_image()
    boxes = np.array([[10, 40, 50, 80]], np.float32)
    a = draw_parts(image, boxes, scores=[0.5])
    b = draw_parts(image, boxes, scores=[0.5])
    np.testing.assert_array_equal(a, b)
    grid = draw_parts_grid([image, gray_image(50, 50)], [a, a], height=64)
    # first column: 64 * 160 / 100 = 102 px wide, second 64 px, gap 4
    assert grid.shape[1] == 102 + 4 + 64
    with pytest.raises(ValueError, match='as many drawings as images'):
        draw_parts_grid([image], [])


def test_verify_pair_header_colour_and_links():
    image = gray_image()
    parts = dict(bboxes=np.array([[10, 40, 50, 80], [60, 10, 90, 30]], np.float32),
                 detected=np.array([True, True]))
    other = dict(bboxes=parts['bboxes'], detected=np.array([True, False]))
    out = draw_verify_pair(image, image, parts, other, distance=1.0, threshold=2.0,
                           same=True, part_names=['a', 'b'], height=100)
    def dominant(strip, channel):  # text pixels whose colour is mostly ``channel`` (BGR)
        strip = strip.astype(int)
        others = [c for c in range(3) if c != channel]
        return ((strip[..., channel] > strip[..., others[0]] + 60)
                & (strip[..., channel] > strip[..., others[1]] + 60)).sum()

    assert dominant(out[:20], 1) > 20 and dominant(out[:20], 2) == 0
    different = draw_verify_pair(image, image, parts, other, 3.0, 2.0, False, height=100)
    assert dominant(different[:20], 2) > 20 and dominant(different[:20], 1) == 0
    # part 0 is co-detected: a line in its colour crosses the gap between the two panels
    gap_columns = out[:, 160 + 4:160 + 20]
    assert (gap_columns == np.array(part_color(0), np.uint8)).all(-1).any()
    assert not (gap_columns == np.array(part_color(1), np.uint8)).all(-1).any()


def test_decision_text():
    assert decision_text(1.5, 2.0, True, 'year') == (
        'distance 1.5000 | threshold 2.0000 (year level) -> SAME MODEL AND YEAR')
    assert decision_text(1.5, None, None) == 'distance 1.5000 | no threshold: no decision'
    with pytest.raises(ValueError, match='level must be one of'):
        decision_text(1.0, 1.0, True, 'make')


def test_ranking_list_frames():
    image = gray_image()
    row = draw_ranking_list(image, [image, image, image], [0.1, 0.2, 0.3],
                            [True, False, True], tile_size=64, frame=3)
    spacer = 64 // 8
    starts = [0] + [64 + 2 + spacer + 2 + i * (64 + 2) for i in range(3)]
    colors = [BLUE, GREEN, RED, GREEN]
    for x, color in zip(starts, colors):
        assert tuple(row[1, x + 1]) == color
    assert row.shape[1] == starts[-1] + 64
    unknown = draw_ranking_list(image, [image], tile_size=64, frame=3)
    assert tuple(unknown[1, starts[1] + 1]) == GRAY
    with pytest.raises(ValueError, match='2 match flags for 1 gallery images'):
        draw_ranking_list(image, [image], matches=[True, False])


def test_activation_map_is_the_normalised_channel_mean():
    feat = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    mean = feat.mean(0)
    expected = (mean - mean.min()) / (mean.max() - mean.min())
    np.testing.assert_allclose(activation_map(feat), expected, rtol=1e-6)
    np.testing.assert_array_equal(activation_map(np.ones((3, 2, 2))), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r'\[C, H, W\]'):
        activation_map(np.ones((2, 2)))
    with pytest.raises(ValueError, match='non-finite'):
        activation_map(np.full((1, 2, 2), np.inf))


def test_overlay_heatmap_blends_the_colormap():
    image = gray_image(40, 60)
    act = np.zeros((4, 6), np.float32)
    act[:, 3:] = 1.0
    np.testing.assert_array_equal(overlay_heatmap(image, act, alpha=0.0), image)
    full = overlay_heatmap(image, act, alpha=1.0)
    jet = cv2.applyColorMap(np.array([[0, 255]], np.uint8), cv2.COLORMAP_JET)[0]
    assert tuple(full[20, 0]) == tuple(jet[0])  # low activation: blue end
    assert tuple(full[20, 59]) == tuple(jet[1])  # high activation: red end
    row = draw_heatmap_row(image, [('backbone', act), ('part RPN', 1 - act)], height=40)
    assert row.shape[1] == 3 * 60 + 2 * 4
    with pytest.raises(ValueError, match='alpha must be in'):
        overlay_heatmap(image, act, alpha=2.0)


def test_write_png_roundtrip_and_errors(tmp_path):
    image = gray_image()
    image[10:20, 10:20] = (0, 0, 255)
    path = write_png(str(tmp_path / 'sub' / 'pic.png'), image)
    np.testing.assert_array_equal(cv2.imread(path), image)
    with pytest.raises(ValueError, match='pic.jpg: pictures are written as PNG'):
        write_png(str(tmp_path / 'pic.jpg'), image)


def test_image_checks():
    assert as_bgr_image(np.zeros((4, 5), np.uint8)).shape == (4, 5, 3)
    assert as_bgr_image(np.full((4, 5, 4), 300.0)).max() == 255
    with pytest.raises(TypeError, match='must be a numpy array'):
        as_bgr_image([[0]])
    with pytest.raises(ValueError, match='must have shape'):
        as_bgr_image(np.zeros((4, 5, 2), np.uint8))
    boxed = fit_in_box(gray_image(10, 40), (20, 20))
    assert boxed.shape == (20, 20, 3) and tuple(boxed[0, 0]) == (255, 255, 255)
    assert tuple(boxed[10, 10]) == (100, 100, 100)
