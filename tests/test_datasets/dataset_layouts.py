"""Tiny datasets in each real on-disk layout, written by the tests (into tmp_path)."""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

IMG_H, IMG_W = 16, 20  # every fixture image


def write_image(path: str, seed: int = 0) -> None:
    """A tiny random image (format from the extension)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.random.default_rng(seed).integers(0, 256, (IMG_H, IMG_W, 3), dtype=np.uint8)
    assert cv2.imwrite(path, img)


def write_text(path: str, lines: Sequence[str], encoding: str = 'utf-8') -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(('\n'.join(lines) + '\n').encode(encoding))


# --------------------------------------------------------------------------- CompCars
# image path (relative to data/image) -> viewpoint; every label file has the box 2 3 15 12.
COMPCARS_IMAGES = {
    '1/10/2014/a.jpg': 1, '1/10/2014/b.jpg': 2, '1/10/2015/c.jpg': 3,
    '1/11/2014/d.jpg': 1, '2/20/2013/e.jpg': 4, '2/20/2013/f.jpg': 5,
}
COMPCARS_TRAIN = ['1/10/2014/a.jpg', '1/10/2015/c.jpg', '2/20/2013/e.jpg', '1/10/2014/b.jpg',
                  '1/11/2014/d.jpg']
MODEL_PAIRS = {
    'easy': [('1/10/2014/a.jpg', '1/10/2014/b.jpg', 1), ('1/10/2014/a.jpg', '1/11/2014/d.jpg', 0),
             ('1/10/2014/a.jpg', '1/10/2015/c.jpg', 1), ('2/20/2013/e.jpg', '2/20/2013/f.jpg', 1),
             ('1/10/2015/c.jpg', '2/20/2013/e.jpg', 0)],
    'medium': [('1/10/2014/b.jpg', '1/10/2015/c.jpg', 1),
               ('1/11/2014/d.jpg', '2/20/2013/f.jpg', 0)],
    'hard': [('1/10/2014/a.jpg', '1/11/2014/d.jpg', 0), ('2/20/2013/f.jpg', '2/20/2013/e.jpg', 1)],
}
YEAR_PAIRS = {
    'easy': [('1/10/2014/a.jpg', '1/10/2014/b.jpg', 1), ('1/10/2014/a.jpg', '1/10/2015/c.jpg', 0)],
    'medium': [('1/10/2014/b.jpg', '1/10/2015/c.jpg', 0),
               ('2/20/2013/e.jpg', '2/20/2013/f.jpg', 1)],
    'hard': [('1/10/2015/c.jpg', '1/10/2014/b.jpg', 0), ('1/10/2014/b.jpg', '1/10/2014/a.jpg', 1)],
}
COMPCARS_SPLIT = 'data/train_test_split/verification/'


def write_compcars(root: str) -> str:
    """CompCars web-nature layout under ``root`` (the folder holding ``data/``)."""
    for i, (rel, viewpoint) in enumerate(COMPCARS_IMAGES.items()):
        write_image(osp.join(root, 'data/image', rel), seed=i)
        write_text(osp.join(root, 'data/label', rel[:-4] + '.txt'),
                   [str(viewpoint), '1', '2 3 15 12'])
    write_text(osp.join(root, COMPCARS_SPLIT, 'verification_train.txt'), COMPCARS_TRAIN)
    for level in ('easy', 'medium', 'hard'):
        write_text(osp.join(root, COMPCARS_SPLIT, f'verification_pairs_{level}.txt'),
                   [f'{a} {b} {y}' for a, b, y in MODEL_PAIRS[level]])
        write_text(osp.join(root, COMPCARS_SPLIT, f'verification_pairs_year_{level}.txt'),
                   [f'{a} {b} {y}' for a, b, y in YEAR_PAIRS[level]])
    return root


# --------------------------------------------------------------------------- VehicleID
VID_TRAIN = [('0000001', 5), ('0000002', 5), ('0000003', 9), ('0000004', 12), ('0000005', 9)]
VID_TEST = [('0000011', 30), ('0000012', 30), ('0000013', 31), ('0000014', 32)]
VID_MODELS = {5: 100, 9: 101, 30: 200, 31: 200}


def write_vehicleid(root: str) -> str:
    for i, (name, _) in enumerate(VID_TRAIN + VID_TEST + [('0000015', 33)]):
        write_image(osp.join(root, 'image', name + '.jpg'), seed=i)
    write_text(osp.join(root, 'train_test_split/train_list.txt'),
               [f'{n} {v}' for n, v in VID_TRAIN])
    for size, extra in (('800', []), ('1600', [('0000015', 33)]), ('2400', [('0000015', 33)])):
        write_text(osp.join(root, f'train_test_split/test_list_{size}.txt'),
                   [f'{n} {v}' for n, v in VID_TEST + extra])
    write_text(osp.join(root, 'attribute/model_attr.txt'),
               [f'{v} {m}' for v, m in VID_MODELS.items()])
    return root


# --------------------------------------------------------------------------- VeRi-776
VERI_TRAIN = ['0002_c002_00030600_0.jpg', '0002_c003_00030610_0.jpg',
              '0010_c001_00010000_1.jpg', '0007_c002_00020000_0.jpg']
VERI_QUERY = ['0005_c001_00001000_0.jpg', '0006_c002_00001000_0.jpg']
VERI_GALLERY = ['0005_c001_00002000_0.jpg', '0005_c003_00002000_0.jpg',
                '0006_c004_00003000_0.jpg', '0008_c005_00004000_0.jpg']
# colour and type of each train image, as written in train_label.xml
VERI_TRAIN_ATTRS = {VERI_TRAIN[0]: (1, 4), VERI_TRAIN[1]: (1, 4), VERI_TRAIN[2]: (3, 2),
                    VERI_TRAIN[3]: (5, 1)}


def veri_xml(root_tag: str, names: Sequence[str], attrs: Dict[str, Tuple[int, int]],
             comment: str = '车辆属性：颜色与车型') -> List[str]:
    """Lines of a VeRi label XML declared gb2312 (with Chinese text, as the real files)."""
    lines = ['<?xml version="1.0" encoding="gb2312"?>', f'<!-- {comment} -->',
             f'<{root_tag} Version="1.0">', f'<Items number="{len(names)}">']
    for name in names:
        vid, cam = name.split('_')[:2]
        color, vtype = attrs.get(name, (1, 1))
        lines.append(f'<Item imageName="{name}" vehicleID="{vid}" cameraID="{cam}" '
                     f'colorID="{color}" typeID="{vtype}" typeName="轿车" />')
    return lines + ['</Items>', f'</{root_tag}>']


def write_veri(root: str) -> str:
    for folder, names in (('image_train', VERI_TRAIN), ('image_query', VERI_QUERY),
                          ('image_test', VERI_GALLERY)):
        for i, name in enumerate(names):
            write_image(osp.join(root, folder, name), seed=i)
    write_text(osp.join(root, 'name_train.txt'), VERI_TRAIN)
    write_text(osp.join(root, 'name_query.txt'), VERI_QUERY)
    write_text(osp.join(root, 'name_test.txt'), VERI_GALLERY)
    write_text(osp.join(root, 'train_label.xml'),
               veri_xml('TrainingImages', VERI_TRAIN, VERI_TRAIN_ATTRS), encoding='gb2312')
    write_text(osp.join(root, 'test_label.xml'),
               veri_xml('TestImages', VERI_GALLERY, {VERI_GALLERY[3]: (7, 3)}),
               encoding='gb2312')
    return root


# --------------------------------------------------------------------------- VERI-Wild
WILD_CAMS = {'00001/000001': 3, '00001/000002': 4, '00003/000010': 3, '00100/001000': 5,
             '00100/001001': 5, '00100/001002': 6, '00101/001010': 7, '00101/001011': 8,
             '00102/001020': 5}
WILD_MODELS = {'00001': 'Audi A4', '00003': 'BYD F3', '00100': 'Audi A4', '00101': 'Kia K2',
               '00102': 'BYD F3'}
WILD_TRAIN = ['00001/000001', '00001/000002', '00003/000010']
WILD_QUERY = ['00100/001000.jpg 100 5', '00101/001010.jpg 101 7']  # the 3-field format
WILD_GALLERY = ['00100/001001', '00100/001002', '00101/001011', '00102/001020']


def write_veriwild(root: str) -> str:
    for i, key in enumerate(WILD_CAMS):
        write_image(osp.join(root, 'images', key + '.jpg'), seed=i)
    split = osp.join(root, 'train_test_split')
    write_text(osp.join(split, 'train_list.txt'), WILD_TRAIN)
    for size in (3000, 5000, 10000):
        write_text(osp.join(split, f'test_{size}_query.txt'), WILD_QUERY)
        write_text(osp.join(split, f'test_{size}.txt'), WILD_GALLERY)
    write_text(osp.join(split, 'vehicle_info.txt'),
               ['id/image;Camera ID;Time;Model;Type;Color'] +
               [f'{k};{c};2018-03-01 10:00:00;{WILD_MODELS[k.split("/")[0]]};sedan;white'
                for k, c in WILD_CAMS.items()])
    return root


# --------------------------------------------------------------------------- part boxes
PART_NAMES = ('head_light', 'tail_light', 'logo', 'plate', 'wind_glass', 'back_mirror',
              'wheel')


def parts_coco(file_names: Sequence[str]) -> dict:
    """A COCO part-box dict over ``file_names`` (IMG_W x IMG_H images)."""
    images = [dict(id=i + 1, file_name=n, width=IMG_W, height=IMG_H)
              for i, n in enumerate(file_names)]
    anns = [
        dict(id=1, image_id=1, category_id=1, bbox=[1, 2, 5, 4], area=20, iscrowd=0),
        dict(id=2, image_id=1, category_id=7, bbox=[10, 8, 6, 6], area=36, iscrowd=0),
        dict(id=3, image_id=2, category_id=3, bbox=[4, 4, 3, 2], area=6, iscrowd=1),
    ]
    cats = [dict(id=i + 1, name=n) for i, n in enumerate(PART_NAMES)]
    return dict(images=images, annotations=anns, categories=cats)


def write_json(path: str, content: dict) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(content, f, indent=1)


def write_parts(root: str) -> str:
    """A user's own part set: ``images/`` and ``annotations/parts_{train,test}.json``."""
    names = ['p1.jpg', 'p2.jpg', 'p3.jpg']
    for i, name in enumerate(names):
        write_image(osp.join(root, 'images', name), seed=i)
    for split in ('train', 'test'):
        write_json(osp.join(root, f'annotations/parts_{split}.json'), parts_coco(names))
    return root


def write_synthcars_tree(root: str) -> str:
    """The SynthCars tree of docs/interfaces.md, built from the fixtures above."""
    write_compcars(osp.join(root, 'compcars'))
    write_veri(osp.join(root, 'veri776'))
    write_vehicleid(osp.join(root, 'vehicleid'))
    coco = parts_coco(list(COMPCARS_IMAGES)[:3])
    for split in ('train', 'test'):
        write_json(osp.join(root, f'parts/annotations/parts_{split}.json'), coco)
    return root
