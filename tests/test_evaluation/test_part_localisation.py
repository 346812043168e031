"""Part boxes against ground truth: IoU, placed / falsely detected shares, the COCO reader."""
import json

import numpy as np
import pytest

from eianet_mm.evaluation.functional.part_localisation import (box_iou, part_localisation,
                                                               read_coco_part_boxes)


def test_box_iou_matches_hand_computed_values():
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]])
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]])
    iou = box_iou(a, b)
    assert iou.shape == (2, 3)
    np.testing.assert_allclose(iou[0], [50 / 150, 0.0, 1.0])
    np.testing.assert_array_equal(iou[1], [0.0, 0.0, 0.0])  # no area: 0, not NaN


def _case():
    """Three images, parts (light, wheel): image 0 (front) shows the light; image 1
    (front) shows nothing; image 2 (side) shows two wheels and the light."""
    pred = np.array([
        [[0, 0, 10, 10], [50, 50, 60, 60]],   # light on its box; wheel found where none is
        [[0, 0, 10, 10], [0, 0, 0, 0]],       # light detected, but the image has none
        [[40, 0, 50, 10], [21, 20, 31, 30]],  # light off its box; wheel on the 2nd wheel
    ], dtype=float)
    detected = np.array([[True, True], [True, False], [True, True]])
    gt_boxes = [np.array([[0, 0, 10, 10]]), np.zeros((0, 4)),
                np.array([[0, 0, 10, 10], [100, 100, 110, 110], [20, 20, 30, 30]])]
    gt_labels = [np.array([0]), np.zeros(0, int), np.array([0, 1, 1])]
    return pred, detected, gt_boxes, gt_labels, ['front', 'front', 'side']


def test_part_localisation_counts_placed_and_false_detections():
    pred, detected, gt_boxes, gt_labels, views = _case()
    out = part_localisation(pred, detected, gt_boxes, gt_labels, views, ['light', 'wheel'])
    assert out['light'] == {
        'front': dict(shown=1, placed=1.0, not_shown=1, false=1.0),
        'side': dict(shown=1, placed=0.0, not_shown=0, false=None)}
    # IoU of the side wheel with its closest box: 90 / 110 >= 0.5
    assert out['wheel'] == {
        'front': dict(shown=0, placed=None, not_shown=2, false=0.5),
        'side': dict(shown=1, placed=1.0, not_shown=0, false=None)}


def test_a_missed_part_is_not_placed_even_on_its_box():
    pred, detected, gt_boxes, gt_labels, views = _case()
    detected[0, 0] = False
    out = part_localisation(pred, detected, gt_boxes, gt_labels, views, ['light', 'wheel'],
                            iou_thr=0.5)
    assert out['light']['front']['placed'] == 0.0
    # a stricter threshold drops the side wheel (IoU 0.82)
    out = part_localisation(pred, detected, gt_boxes, gt_labels, views, ['light', 'wheel'],
                            iou_thr=0.9)
    assert out['wheel']['side']['placed'] == 0.0


def test_part_localisation_refuses_mismatched_inputs():
    pred, detected, gt_boxes, gt_labels, views = _case()
    with pytest.raises(ValueError, match='P = 3 part names'):
        part_localisation(pred, detected, gt_boxes, gt_labels, views, ['a', 'b', 'c'])
    with pytest.raises(ValueError, match='3 images, but 2 gt box sets'):
        part_localisation(pred, detected, gt_boxes[:2], gt_labels, views, ['a', 'b'])
    with pytest.raises(ValueError, match=r'image 2 has 3 boxes and labels \[0, 1, 2\]'):
        part_localisation(pred, detected, gt_boxes, gt_labels[:2] + [np.array([0, 1, 2])],
                          views, ['a', 'b'])


def _write_coco(path, annotations):
    coco = dict(images=[dict(id=1, file_name='1/2/2010/a.jpg'),
                        dict(id=2, file_name='1/2/2010/b.jpg')],
                annotations=annotations,
                categories=[dict(id=1, name='light'), dict(id=2, name='wheel')])
    path.write_text(json.dumps(coco))
    return str(path)


def test_read_coco_part_boxes_gives_xyxy_boxes_and_part_indices(tmp_path):
    ann = _write_coco(tmp_path / 'parts.json', [
        dict(id=1, image_id=1, category_id=2, bbox=[3, 4, 5, 6]),
        dict(id=2, image_id=1, category_id=1, bbox=[0, 0, 2, 2])])
    table = read_coco_part_boxes(ann, num_parts=2)
    boxes, labels = table['1/2/2010/a.jpg']
    np.testing.assert_array_equal(boxes, [[3, 4, 8, 10], [0, 0, 2, 2]])
    np.testing.assert_array_equal(labels, [1, 0])
    boxes, labels = table['1/2/2010/b.jpg']  # an image without boxes is listed, empty
    assert boxes.shape == (0, 4) and labels.shape == (0, )


@pytest.mark.parametrize('annotation, message', [
    (dict(id=1, image_id=9, category_id=1, bbox=[0, 0, 1, 1]),
     r'annotations\[0\] refers to image_id 9'),
    (dict(id=1, image_id=1, category_id=3, bbox=[0, 0, 1, 1]),
     r'annotations\[0\] has category_id 3; expected 1..2'),
])
def test_read_coco_part_boxes_names_the_file_and_the_bad_entry(tmp_path, annotation, message):
    ann = _write_coco(tmp_path / 'parts.json', [annotation])
    with pytest.raises(ValueError, match=message) as err:
        read_coco_part_boxes(ann, num_parts=2)
    assert str(tmp_path / 'parts.json') in str(err.value)
