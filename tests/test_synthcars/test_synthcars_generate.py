"""A generated dataset: determinism, the on-disk tree of docs/interfaces.md, line formats
(DATA.md), splits, pair semantics, VeRi XML and indices, COCO part boxes, meta."""
import hashlib
import json
import os
import os.path as osp
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace

import cv2
import pytest
from pycocotools.coco import COCO

from eianet_mm.datasets.synthcars import (PART_NAMES, SynthCarsConfig, build_world, generate,
                                          plan_images)

TREE = [
    'compcars/data/misc/attributes.txt', 'compcars/data/misc/make_model_name.json',
    'compcars/data/train_test_split/verification/verification_train.txt',
    *[f'compcars/data/train_test_split/verification/verification_pairs_{k}.txt'
      for k in ('easy', 'medium', 'hard', 'year_easy', 'year_medium', 'year_hard')],
    'veri776/name_train.txt', 'veri776/name_query.txt', 'veri776/name_test.txt',
    'veri776/train_label.xml', 'veri776/test_label.xml', 'veri776/gt_index.txt',
    'veri776/jk_index.txt',
    *[f'vehicleid/train_test_split/{k}.txt'
      for k in ('train_list', 'test_list_800', 'test_list_1600', 'test_list_2400')],
    'vehicleid/attribute/model_attr.txt', 'vehicleid/attribute/color_attr.txt',
    'vehicleid/attribute/img2vid.txt',
    'parts/annotations/parts_train.json', 'parts/annotations/parts_test.json',
    'synthcars_meta.json',
]
PAIR_DIR = 'compcars/data/train_test_split/verification'
#: Viewpoints that draw each year part's design (a face view's wheels are plain tyres).
DESIGN_VIEWS = {'head_light': {1, 3, 4}, 'tail_light': {2, 3, 5}, 'wheel': {3, 4, 5}}


def _hashes(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            path = osp.join(d, f)
            with open(path, 'rb') as fh:
                out[osp.relpath(path, root)] = hashlib.sha1(fh.read()).hexdigest()
    return out


def _lines(root, rel):
    with open(osp.join(root, rel), encoding='utf-8') as f:
        text = f.read()
    assert text.endswith('\n') and '\r' not in text and '  ' not in text
    return text.splitlines()


def _meta(root):
    with open(osp.join(root, 'synthcars_meta.json'), encoding='utf-8') as f:
        return json.load(f)


def _compcars_info(root):
    """img path -> (make, model, year, view), from the folders and the label files."""
    info = {}
    image_dir = osp.join(root, 'compcars/data/image')
    for d, _, files in os.walk(image_dir):
        for f in files:
            rel = osp.relpath(osp.join(d, f), image_dir)
            make, model, year, _ = rel.split('/')
            view = int(_lines(root, f'compcars/data/label/{rel[:-4]}.txt')[0])
            info[rel] = (int(make), int(model), int(year), view)
    return info


def test_same_seed_is_byte_identical_whatever_the_workers(tiny_root, tiny_cfg, tmp_path):
    again = str(tmp_path / 'b')
    generate(again, tiny_cfg, seed=0, num_workers=2)
    a, b = _hashes(tiny_root), _hashes(again)
    assert a == b
    other = str(tmp_path / 'c')
    generate(other, tiny_cfg, seed=1, num_workers=2)
    c = _hashes(other)
    jpgs_a = {h for p, h in a.items() if p.endswith('.jpg')}
    jpgs_c = {h for p, h in c.items() if p.endswith('.jpg')}
    assert not jpgs_a & jpgs_c
    assert a['synthcars_meta.json'] != c['synthcars_meta.json']


def test_existing_dataset_is_not_overwritten_silently(tiny_root, tiny_cfg, tmp_path):
    with pytest.raises(FileExistsError, match='already holds a SynthCars dataset'):
        generate(tiny_root, tiny_cfg, seed=0)
    root = str(tmp_path / 'o')
    generate(root, tiny_cfg, seed=2)
    os.makedirs(osp.join(root, 'compcars/data/image/99'))
    generate(root, tiny_cfg, seed=0, overwrite=True)
    assert not osp.exists(osp.join(root, 'compcars/data/image/99'))
    assert _hashes(root) == _hashes(tiny_root)


def test_tree_of_interfaces_md(tiny_root, tiny_cfg):
    for rel in TREE:
        assert osp.isfile(osp.join(tiny_root, rel)), rel
    info = _compcars_info(tiny_root)
    c = tiny_cfg
    assert len(info) == c.makes * c.models_per_make * c.years_per_model * c.images_per_class
    assert not osp.exists(osp.join(tiny_root, 'compcars/data/misc/make_model_name.mat'))
    for rel in info:
        assert re.fullmatch(r'\d+/\d+/\d{4}/[0-9a-f]{14}\.jpg', rel), rel
        img = cv2.imread(osp.join(tiny_root, 'compcars/data/image', rel))
        assert img.shape == (c.image_size, c.image_size, 3)


def test_compcars_labels_and_misc(tiny_root, tiny_cfg):
    size = tiny_cfg.image_size
    for rel in _compcars_info(tiny_root):
        view, count, box = _lines(tiny_root, f'compcars/data/label/{rel[:-4]}.txt')
        assert view in {'1', '2', '3', '4', '5'} and count == '1'
        x1, y1, x2, y2 = map(int, box.split(' '))
        assert 1 <= x1 <= x2 <= size and 1 <= y1 <= y2 <= size
    attrs = _lines(tiny_root, 'compcars/data/misc/attributes.txt')
    assert attrs[0] == 'model_id maximum_speed displacement door_number seat_number type'
    n_models = tiny_cfg.makes * tiny_cfg.models_per_make
    assert [int(a.split(' ')[0]) for a in attrs[1:]] == list(range(1, n_models + 1))
    assert all(len(a.split(' ')) == 6 for a in attrs[1:])
    with open(osp.join(tiny_root, 'compcars/data/misc/make_model_name.json')) as f:
        names = json.load(f)
    assert len(names['make_names']) == tiny_cfg.makes and len(names['model_names']) == n_models


def test_verification_split_and_pairs(tiny_root, tiny_cfg):
    info = _compcars_info(tiny_root)
    meta = _meta(tiny_root)
    coco = COCO(osp.join(tiny_root, 'parts/annotations/parts_test.json'))
    boxed = {img['file_name']: {coco.cats[a['category_id']]['name']
                                for a in coco.imgToAnns[img['id']]}
             for img in coco.dataset['images']}
    # the year designs each test image shows (with the tiny preset every year changes all)
    assert set(tiny_cfg.year_parts) == set(DESIGN_VIEWS) and tiny_cfg.min_parts_per_year == 3
    shown = {p: {part for part in boxed[p] & set(DESIGN_VIEWS) if info[p][3] in DESIGN_VIEWS[part]}
             for p in boxed}
    test_models = set(meta['verification']['test_model_ids'])
    train_models = set(meta['verification']['train_model_ids'])
    assert test_models and train_models and not test_models & train_models
    train = _lines(tiny_root, f'{PAIR_DIR}/verification_train.txt')
    assert train == sorted(train)
    assert {p for p in info if info[p][1] in train_models} == set(train)
    years_of = {m: {info[p][2] for p in info if info[p][1] == m} for m in test_models}
    assert all(len(y) >= 2 for y in years_of.values())  # year-level pairs exist
    for level in ('', 'year_'):
        for kind in ('easy', 'medium', 'hard'):
            rows = [line.split(' ') for line in
                    _lines(tiny_root, f'{PAIR_DIR}/verification_pairs_{level}{kind}.txt')]
            assert rows and all(len(r) == 3 for r in rows)
            labels = Counter(r[2] for r in rows)
            assert labels['1'] == labels['0'] > 0 and set(labels) == {'0', '1'}
            keys = [tuple(sorted(r[:2])) for r in rows]
            assert len(set(keys)) == len(keys)  # no pair twice
            for a, b, label in rows:
                assert a != b
                (mk_a, m_a, y_a, v_a), (mk_b, m_b, y_b, v_b) = info[a], info[b]
                assert m_a in test_models and m_b in test_models
                if level == '':
                    assert (m_a == m_b) == (label == '1')
                    if kind == 'easy':
                        assert v_a == v_b
                    if kind == 'hard' and label == '0':
                        assert mk_a == mk_b
                else:
                    assert m_a == m_b and (y_a == y_b) == (label == '1')
                    assert shown[a] & shown[b], (a, b)  # the answer is in the pixels
                    if kind == 'easy':
                        assert v_a == v_b
                    if kind == 'hard':
                        assert v_a != v_b


def test_veri_layout(tiny_root, tiny_cfg):
    base = osp.join(tiny_root, 'veri776')
    pattern = re.compile(r'(\d{4})_c(\d{3})_(\d{8})_0\.jpg')
    names = {s: _lines(tiny_root, f'veri776/name_{s}.txt') for s in ('train', 'query', 'test')}
    for s, folder in (('train', 'image_train'), ('query', 'image_query'), ('test', 'image_test')):
        assert names[s] == sorted(os.listdir(osp.join(base, folder)))
        assert all(pattern.fullmatch(n) for n in names[s])
    ids = {s: {int(pattern.fullmatch(n).group(1)) for n in names[s]} for s in names}
    assert not ids['train'] & ids['test'] and ids['query'] == ids['test']
    assert len(ids['train']) + len(ids['test']) == tiny_cfg.instances
    assert set(names['query']) <= set(names['test'])
    for n in names['query']:
        with open(osp.join(base, 'image_query', n), 'rb') as a, \
                open(osp.join(base, 'image_test', n), 'rb') as b:
            assert a.read() == b.read()
    cams = {int(pattern.fullmatch(n).group(2)) for n in names['train'] + names['test']}
    assert cams <= set(range(1, tiny_cfg.cameras + 1))
    for split, root_tag in (('train', 'TrainingImages'), ('test', 'TestImages')):
        with open(osp.join(base, f'{split}_label.xml'), 'rb') as f:
            raw = f.read()
        assert raw.startswith(b'<?xml version="1.0" encoding="gb2312"?>')
        tree = ET.fromstring(raw.decode('gb2312').split('?>', 1)[1])
        assert tree.tag == root_tag
        items = tree.find('Items')
        assert int(items.get('number')) == len(names[split]) == len(items)
        for item, name in zip(items, names[split]):
            vid, cam, _ = pattern.fullmatch(name).groups()
            assert item.get('imageName') == name and item.get('vehicleID') == vid
            assert item.get('cameraID') == f'c{cam}'
            assert 1 <= int(item.get('colorID')) <= 10 and 1 <= int(item.get('typeID')) <= 9
    gt = _lines(tiny_root, 'veri776/gt_index.txt')
    jk = _lines(tiny_root, 'veri776/jk_index.txt')
    assert len(gt) == len(jk) == len(names['query'])
    test = [pattern.fullmatch(n).groups()[:2] for n in names['test']]
    for q, g_line, j_line in zip(names['query'], gt, jk):
        vid, cam, _ = pattern.fullmatch(q).groups()
        good = [test[int(k) - 1] for k in g_line.split(' ')]
        junk = [int(k) for k in j_line.split(' ')]
        assert good and all(v == vid and c != cam for v, c in good)
        assert all(test[k - 1] == (vid, cam) for k in junk)
        assert names['test'].index(q) + 1 in junk
        n_same_id = sum(v == vid for v, _ in test)
        assert len(good) + len(junk) == n_same_id


def test_vehicleid_layout(tiny_root, tiny_cfg):
    images = sorted(os.listdir(osp.join(tiny_root, 'vehicleid/image')))
    assert all(re.fullmatch(r'\d{7}\.jpg', n) for n in images)
    split = 'vehicleid/train_test_split'

    def parse(rel):
        rows = [line.split(' ') for line in _lines(tiny_root, rel)]
        assert all(len(r) == 2 and re.fullmatch(r'\d{7}', r[0]) for r in rows)
        return {r[0]: int(r[1]) for r in rows}

    train = parse(f'{split}/train_list.txt')
    tests = [parse(f'{split}/test_list_{n}.txt') for n in (800, 1600, 2400)]
    assert not set(train.values()) & set(tests[2].values())
    assert set(tests[0].items()) <= set(tests[1].items()) <= set(tests[2].items())
    n_test = tiny_cfg.num_reid_test_ids
    assert [len(set(t.values())) for t in tests] == [-(-n_test // 3), -(-2 * n_test // 3), n_test]
    img2vid = parse('vehicleid/attribute/img2vid.txt')
    assert sorted(img2vid) == [n[:-4] for n in images]
    assert img2vid == {**train, **tests[2]}
    vids = set(img2vid.values())
    for attr in ('model_attr', 'color_attr'):
        rows = [line.split(' ') for line in _lines(tiny_root, f'vehicleid/attribute/{attr}.txt')]
        assert {int(r[0]) for r in rows} == vids
    n_models = tiny_cfg.makes * tiny_cfg.models_per_make
    assert all(0 <= int(line.split(' ')[1]) < n_models
               for line in _lines(tiny_root, 'vehicleid/attribute/model_attr.txt'))


def test_coco_part_boxes(tiny_root, tiny_cfg):
    info = _compcars_info(tiny_root)
    train = set(_lines(tiny_root, f'{PAIR_DIR}/verification_train.txt'))
    size = tiny_cfg.image_size
    n_boxes = 0
    for split in ('train', 'test'):
        coco = COCO(osp.join(tiny_root, f'parts/annotations/parts_{split}.json'))
        cats = coco.loadCats(coco.getCatIds())
        assert [(c['id'], c['name']) for c in cats] == list(enumerate(PART_NAMES, start=1))
        files = {im['file_name'] for im in coco.loadImgs(coco.getImgIds())}
        assert files == (train if split == 'train' else set(info) - train)
        for ann in coco.loadAnns(coco.getAnnIds()):
            x, y, w, h = ann['bbox']
            assert x >= 0 and y >= 0 and w >= tiny_cfg.min_part_size and h >= \
                tiny_cfg.min_part_size
            assert x + w <= size and y + h <= size and ann['area'] == w * h
            view = info[coco.loadImgs(ann['image_id'])[0]['file_name']][3]
            name = PART_NAMES[ann['category_id'] - 1]
            assert not (name == 'tail_light' and view in (1, 4))
            assert not (name == 'head_light' and view in (2, 5))
            assert not (name in ('logo', 'plate', 'wind_glass') and view == 3)
            n_boxes += 1
    assert n_boxes > 5 * len(info)


def test_meta(tiny_root, tiny_cfg):
    meta = _meta(tiny_root)
    assert meta['seed'] == 0 and meta['config'] == tiny_cfg.to_dict()
    assert meta['part_names'] == list(PART_NAMES)
    assert meta['counts']['compcars']['images'] == len(_compcars_info(tiny_root))
    assert meta['counts']['veri776']['test_ids'] == tiny_cfg.num_reid_test_ids
    n_models = tiny_cfg.makes * tiny_cfg.models_per_make
    assert [m['model_id'] for m in meta['models']] == list(range(1, n_models + 1))
    for m in meta['models']:
        assert len(m['years']) == tiny_cfg.years_per_model
        assert m['years'][0]['changed_parts'] == []
        for prev, y in zip(m['years'], m['years'][1:]):
            assert y['year'] > prev['year']
            assert (tiny_cfg.min_parts_per_year <= len(y['changed_parts'])
                    <= tiny_cfg.max_parts_per_year)
            differ = {k for k in y['designs'] if y['designs'][k] != prev['designs'][k]}
            assert differ == set(y['changed_parts'])
    assert len(meta['veri776']['vehicles']) == tiny_cfg.instances


def test_generate_rejects_bad_arguments(tmp_path, tiny_cfg):
    with pytest.raises(ValueError, match='num_workers must be a positive integer'):
        generate(str(tmp_path / 'x'), tiny_cfg, num_workers=0)
    with pytest.raises(ValueError, match='seed must be a non-negative integer'):
        generate(str(tmp_path / 'x'), tiny_cfg, seed=-1)
    with pytest.raises(ValueError, match='raise images_per_class'):
        generate(str(tmp_path / 'y'), SynthCarsConfig.from_preset('tiny', images_per_class=2))


def test_nuisance_does_not_depend_on_the_year_designs(tiny_cfg):
    # Two worlds whose model years change different parts: every image keeps its paint,
    # marks and scene; only the designs differ.
    a = build_world(tiny_cfg, seed=0)
    b = build_world(replace(tiny_cfg, year_parts=('wheel', ), min_parts_per_year=1,
                            max_parts_per_year=1), seed=0)
    assert any(ya.changed != yb.changed for ma, mb in zip(a.models, b.models)
               for ya, yb in zip(ma.years, mb.years))
    jobs_a, jobs_b = plan_images(a), plan_images(b)
    assert len(jobs_a) == len(jobs_b)
    for ja, jb in zip(jobs_a, jobs_b):
        assert ja.paths == jb.paths and ja.marks == jb.marks and ja.scene == jb.scene


def test_a_new_year_changes_min_to_max_parts_per_year(tiny_cfg):
    parts = ('head_light', 'tail_light', 'wheel')
    every = build_world(replace(tiny_cfg, year_parts=parts, min_parts_per_year=3,
                                max_parts_per_year=3, years_per_model=3), seed=0)
    for model in every.models:
        for before, year in zip(model.years, model.years[1:]):
            assert year.changed == tuple(sorted(parts))
            for kind in parts:  # each changed part gets another design family
                assert year.variants[kind].family != before.variants[kind].family
            for kind in set(year.variants) - set(parts):
                assert year.variants[kind] == before.variants[kind]
    some = build_world(replace(tiny_cfg, year_parts=parts, min_parts_per_year=1,
                               max_parts_per_year=2, years_per_model=3), seed=0)
    counts = {len(y.changed) for m in some.models for y in m.years[1:]}
    assert counts <= {1, 2}


def test_test_models_get_their_own_image_count(tmp_path, tiny_cfg):
    cfg = replace(tiny_cfg, test_images_per_class=4)
    root = str(tmp_path / 'split_counts')
    generate(root, cfg, seed=0, num_workers=1)
    counts = _meta(root)['counts']['compcars']
    n_test = cfg.num_test_models
    n_train = cfg.makes * cfg.models_per_make - n_test
    assert counts['train_images'] == n_train * cfg.years_per_model * cfg.images_per_class
    assert counts['test_images'] == n_test * cfg.years_per_model * 4
