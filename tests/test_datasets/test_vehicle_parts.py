import copy
import os.path as osp

import numpy as np
import pytest
from dataset_layouts import IMG_H, IMG_W, PART_NAMES, parts_coco, write_json

import eianet_mm.datasets.vehicle_parts as parts_module
from eianet_mm.datasets import SYNTHCARS_PART_CLASSES, DataFormatError, VehiclePartsDataset

ANN = 'annotations/parts_train.json'
NAMES = ['p1.jpg', 'p2.jpg', 'p3.jpg']


def build(root, **kwargs):
    return VehiclePartsDataset(data_root=root, ann_file=ANN, data_prefix=dict(img='images/'),
                               **kwargs)


def test_classes_are_the_interface_order():
    assert SYNTHCARS_PART_CLASSES == PART_NAMES
    assert VehiclePartsDataset.METAINFO['classes'] == PART_NAMES


def test_load(parts_root):
    ds = build(parts_root)
    assert len(ds) == 3
    first = ds.get_data_info(0)
    assert first['img_id'] == 1 and first['img_path'] == osp.join(parts_root, 'images/p1.jpg')
    assert (first['width'], first['height']) == (IMG_W, IMG_H)
    assert first['instances'] == [
        dict(bbox=[1.0, 2.0, 6.0, 6.0], bbox_label=0, ignore_flag=0),
        dict(bbox=[10.0, 8.0, 16.0, 14.0], bbox_label=6, ignore_flag=0),
    ]
    assert ds.get_data_info(1)['instances'] == [
        dict(bbox=[4.0, 4.0, 7.0, 6.0], bbox_label=2, ignore_flag=1)]
    assert ds.get_data_info(2)['instances'] == []
    assert ds.get_cat_ids(0) == [0, 6]


def test_filter_empty_gt(parts_root):
    ds = build(parts_root, filter_cfg=dict(filter_empty_gt=True, min_size=0))
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [1, 2]
    with pytest.raises(DataFormatError, match=r'no image is left after filter_cfg=.*\(3 before\)'):
        build(parts_root, filter_cfg=dict(filter_empty_gt=False, min_size=IMG_W + 1))


def test_subset_of_classes_is_logged(parts_root, monkeypatch):
    logged = []
    monkeypatch.setattr(parts_module, 'print_log', lambda msg, **kw: logged.append(msg))
    ds = build(parts_root, metainfo=dict(classes=('wheel', 'head_light')))
    assert ds.get_data_info(0)['instances'] == [
        dict(bbox=[1.0, 2.0, 6.0, 6.0], bbox_label=1, ignore_flag=0),
        dict(bbox=[10.0, 8.0, 16.0, 14.0], bbox_label=0, ignore_flag=0),
    ]
    assert logged == [f"{osp.join(parts_root, ANN)}: left out the boxes of categories not in "
                      "classes: {'logo': 1}"]


def test_pipeline_packs_boxes(parts_root):
    ds = build(parts_root, pipeline=[
        dict(type='LoadVehicleImage'), dict(type='LoadAnnotations', with_bbox=True),
        dict(type='Resize', scale=(40, 32), keep_ratio=False),
        dict(type='PackDetInputs')])
    gt = ds[0]['data_samples'].gt_instances
    np.testing.assert_allclose(gt.bboxes.tensor.numpy(), [[2, 4, 12, 12], [20, 16, 32, 28]])
    assert gt.labels.tolist() == [0, 6]


def test_clip_within_tolerance(parts_root, monkeypatch):
    logged = []
    monkeypatch.setattr(parts_module, 'print_log', lambda msg, **kw: logged.append(msg))
    coco = parts_coco(NAMES)
    coco['annotations'][0]['bbox'] = [-1.5, 2, 5, 15.5]  # x1 -1.5, y2 17.5 > 16
    write_json(osp.join(parts_root, ANN), coco)
    ds = build(parts_root)
    assert ds.get_data_info(0)['instances'][0]['bbox'] == [0.0, 2.0, 3.5, 16.0]
    assert logged[0].endswith('clipped 1 box(es) reaching at most 2.0 px outside their image')


def _corrupt(coco, what):
    if what == 'dup_image_id':
        coco['images'][2]['id'] = 1
    elif what == 'dup_file_name':
        coco['images'][2]['file_name'] = 'p1.jpg'
    elif what == 'zero_width':
        coco['images'][1]['width'] = 0
    elif what == 'missing_image':
        coco['images'][1]['file_name'] = 'nope.jpg'
    elif what == 'unknown_category':
        coco['annotations'][1]['category_id'] = 42
    elif what == 'unknown_image':
        coco['annotations'][1]['image_id'] = 9
    elif what == 'dup_ann_id':
        coco['annotations'][2]['id'] = 1
    elif what == 'outside':
        coco['annotations'][1]['bbox'] = [10, 8, 13, 6]  # x2 = 23 > 20 + 2
    elif what == 'degenerate':
        coco['annotations'][1]['bbox'] = [10, 8, 0, 6]
    elif what == 'bad_bbox':
        coco['annotations'][1]['bbox'] = [10, 8, 6]
    elif what == 'missing_class':
        coco['categories'] = coco['categories'][:-1]
    elif what == 'dup_category':
        coco['categories'][1]['id'] = 1
    elif what == 'no_images':
        del coco['images']
    elif what == 'empty_images':
        coco['images'], coco['annotations'] = [], []
    return coco


@pytest.mark.parametrize('what, msg', [
    ('dup_image_id', r"images\[2\]: duplicate image id 1 \(first for 'p1.jpg'\)"),
    ('dup_file_name', r"images\[2\]: duplicate file_name 'p1.jpg' \(image ids 1 and 3\)"),
    ('zero_width', r"images\[1\] \('p2.jpg'\): width and height must be positive, got 0 x 16"),
    ('missing_image', r'images\[1\]: image not found: .*nope.jpg'),
    ('unknown_category', r'annotations\[1\] \(id 2\): unknown category id 42'),
    ('unknown_image', r'annotations\[1\] \(id 2\): unknown image id 9'),
    ('dup_ann_id', r'annotations\[2\]: duplicate annotation id 1'),
    ('outside', r"annotations\[1\] \(id 2\) in 'p1.jpg': box .* lies outside the 20 x 16 "
     r'image by more than box_tolerance=2.0 px'),
    ('degenerate', 'has width or height <= 0'),
    ('bad_bbox', r'bbox must be \[x, y, w, h\]'),
    ('missing_class', r"part classes \['wheel'\] are not among the categories"),
    ('dup_category', r'categories\[1\]: duplicate category id 1'),
    ('no_images', "COCO section 'images' is missing or not a list"),
    ('empty_images', "COCO section 'images' is empty"),
])
def test_bad_coco(parts_root, what, msg):
    path = osp.join(parts_root, ANN)
    write_json(path, _corrupt(copy.deepcopy(parts_coco(NAMES)), what))
    with pytest.raises(DataFormatError, match=msg) as err:
        build(parts_root)
    assert str(err.value).startswith(path + ': ')


def test_invalid_json_names_line(parts_root):
    path = osp.join(parts_root, ANN)
    with open(path, 'w') as f:
        f.write('{\n "images": [],\n "annotations": [,]\n}\n')
    with pytest.raises(DataFormatError, match='invalid JSON: Expecting value') as err:
        build(parts_root)
    assert str(err.value).startswith(f'{path}:3: ')
    with open(path, 'wb') as f:
        f.write(b'{"images": [{"file_name": "\xff"}]}')
    with pytest.raises(DataFormatError, match='not valid utf-8'):
        build(parts_root)
    with open(path, 'w') as f:
        f.write('\n')
    with pytest.raises(DataFormatError, match='part-box annotation file is empty'):
        build(parts_root)


def test_missing_file_and_folder(parts_root):
    with pytest.raises(FileNotFoundError, match='part-box annotation file not found'):
        VehiclePartsDataset(data_root=parts_root, ann_file='annotations/x.json',
                            data_prefix=dict(img='images/'))
    with pytest.raises(FileNotFoundError, match='part-box image folder not found'):
        VehiclePartsDataset(data_root=parts_root, ann_file=ANN, data_prefix=dict(img='im/'))
