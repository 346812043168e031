import os
import os.path as osp

import numpy as np
import pytest
from dataset_layouts import (COMPCARS_IMAGES, COMPCARS_SPLIT, COMPCARS_TRAIN, IMG_H, IMG_W,
                             MODEL_PAIRS, YEAR_PAIRS, write_text)

import eianet_mm.datasets.compcars as compcars_module
from eianet_mm.datasets import (CompCarsVerificationDataset, DataFormatError,
                                read_compcars_label, viewpoint_pair_name)

TRAIN_LIST = COMPCARS_SPLIT + 'verification_train.txt'
EASY = COMPCARS_SPLIT + 'verification_pairs_easy.txt'
YEAR_FILES = {f'year_{lv}': COMPCARS_SPLIT + f'verification_pairs_year_{lv}.txt'
              for lv in ('easy', 'medium', 'hard')}


def model_year(rel):
    make, model, year, _ = rel.split('/')
    return int(make), int(model), int(year)


def test_train_year_level_labels(compcars_root):
    ds = CompCarsVerificationDataset(data_root=compcars_root, mode='train')
    assert len(ds) == len(COMPCARS_TRAIN)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [d['img_id'] for d in infos] == COMPCARS_TRAIN
    # contiguous over sorted (model, year): (10,2014)=0 (10,2015)=1 (11,2014)=2 (20,2013)=3
    assert [d['id_label'] for d in infos] == [0, 1, 3, 0, 2]
    assert [d['coarse_label'] for d in infos] == [10, 10, 20, 10, 11]
    assert [d['viewpoint'] for d in infos] == [COMPCARS_IMAGES[r] for r in COMPCARS_TRAIN]
    first = infos[0]
    assert first['img_path'] == osp.join(compcars_root, 'data/image', COMPCARS_TRAIN[0])
    assert osp.isabs(first['img_path'])
    assert (first['make_id'], first['model_id'], first['year']) == (1, 10, 2014)
    assert first['cam_id'] == -1 and first['is_query'] is False and first['instances'] == []
    assert 'crop_bbox' not in first
    assert 'pairs' not in ds.metainfo


def test_train_model_level_labels(compcars_root):
    ds = CompCarsVerificationDataset(data_root=compcars_root, label_level='model')
    assert [ds.get_data_info(i)['id_label'] for i in range(len(ds))] == [0, 0, 2, 0, 1]


def test_test_pairs_metainfo(compcars_root):
    pair_files = {f'model_{lv}': COMPCARS_SPLIT + f'verification_pairs_{lv}.txt'
                  for lv in ('easy', 'medium', 'hard')}
    pair_files.update(YEAR_FILES)
    ds = CompCarsVerificationDataset(data_root=compcars_root, mode='test', pair_files=pair_files)
    assert ds.test_mode
    pairs = ds.metainfo['pairs']
    assert list(pairs) == list(pair_files)
    for level, expected in MODEL_PAIRS.items():
        entry = pairs[f'model_{level}']
        assert entry['img_id1'] == [a for a, _, _ in expected]
        assert entry['img_id2'] == [b for _, b, _ in expected]
        assert entry['label'].dtype == np.int64
        np.testing.assert_array_equal(entry['label'], [y for _, _, y in expected])
        assert entry['file'] == osp.join(compcars_root, COMPCARS_SPLIT,
                                         f'verification_pairs_{level}.txt')
    for level, expected in YEAR_PAIRS.items():
        np.testing.assert_array_equal(pairs[f'year_{level}']['label'], [y for _, _, y in expected])
    # data_list = the distinct images of all pairs, in first-seen order
    seen = []
    for name in pair_files:
        for a, b in zip(pairs[name]['img_id1'], pairs[name]['img_id2']):
            seen += [r for r in (a, b) if r not in seen]
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [d['img_id'] for d in infos] == seen
    assert sorted(seen) == sorted(COMPCARS_IMAGES)
    # raw labels on the test set: model_id * 10000 + year
    for d in infos:
        _, model, year = model_year(d['img_id'])
        assert d['id_label'] == model * 10000 + year and d['coarse_label'] == model


def test_default_pair_files_and_derived_year_pairs(compcars_root):
    ds = CompCarsVerificationDataset(data_root=compcars_root, mode='test', label_level='model',
                                     derive_year_pairs=True)
    pairs = ds.metainfo['pairs']
    assert sorted(pairs) == sorted(['model_easy', 'model_medium', 'model_hard', 'year_easy',
                                    'year_medium', 'year_hard'])
    for level, expected in MODEL_PAIRS.items():
        year = pairs[f'year_{level}']
        assert year['img_id1'] == pairs[f'model_{level}']['img_id1']
        reference = [int(model_year(a) == model_year(b)) for a, b, _ in expected]
        np.testing.assert_array_equal(year['label'], reference)
    # the same-model-other-year positive of the easy file becomes a negative
    np.testing.assert_array_equal(pairs['model_easy']['label'], [1, 0, 1, 1, 0])
    np.testing.assert_array_equal(pairs['year_easy']['label'], [1, 0, 0, 1, 0])
    assert ds.get_data_info(0)['id_label'] == 10  # model level: the raw model id


def test_derive_year_pairs_name_clash(compcars_root):
    with pytest.raises(ValueError, match="'year_easy'"):
        CompCarsVerificationDataset(
            data_root=compcars_root, mode='test', derive_year_pairs=True,
            pair_files=dict(model_easy=EASY, year_easy=YEAR_FILES['year_easy']))


def test_crop_to_car_box(compcars_root):
    ds = CompCarsVerificationDataset(data_root=compcars_root, crop_to_car_box=True,
                                     pipeline=[dict(type='LoadVehicleImage')])
    info = ds.get_data_info(0)
    # 1-based inclusive (2, 3, 15, 12) -> 0-based continuous (1, 2, 15, 12)
    assert info['crop_bbox'] == [1.0, 2.0, 15.0, 12.0]
    out = ds[0]
    assert out['img'].shape == (12 - 2, 15 - 1, 3)
    assert out['ori_shape'] == (10, 14)


def test_read_label_file(tmp_path):
    path = str(tmp_path / 'x.txt')
    write_text(path, ['-1', '0'])
    assert read_compcars_label(path) == (-1, None)
    write_text(path, ['5', '1', '1 1 4 6'])
    assert read_compcars_label(path) == (5, [0.0, 0.0, 4.0, 6.0])


def test_viewpoint_pair_name():
    assert viewpoint_pair_name(3, 1) == viewpoint_pair_name(1, 3) == 'front / side'
    assert viewpoint_pair_name(5, 4) == 'front-side / rear-side'
    assert viewpoint_pair_name(4, 3) == 'front-side / side'
    assert viewpoint_pair_name(-1, 2) == 'rear / unknown'
    with pytest.raises(ValueError, match='viewpoint must be one of .* got 6'):
        viewpoint_pair_name(1, 6)


@pytest.mark.parametrize('lines, line_no, msg', [
    (['7', '1', '1 1 4 6'], 1, 'viewpoint must be one of'),
    (['front', '1', '1 1 4 6'], 1, 'viewpoint is not an integer'),
    (['1'], 1, 'expected the box count'),
    (['1', '1'], 2, 'has no box line'),
    (['1', '1', '1 1 4'], 3, 'wrong number of fields: expected 4'),
    (['1', '1', '5 1 4 6'], 3, '1 <= x1 <= x2'),
])
def test_bad_label_file(tmp_path, lines, line_no, msg):
    path = str(tmp_path / 'x.txt')
    write_text(path, lines)
    with pytest.raises(DataFormatError, match=msg) as err:
        read_compcars_label(path)
    assert f'{path}:{line_no}:' in str(err.value)


def test_missing_label_files_are_counted(compcars_root, monkeypatch):
    logged = []
    monkeypatch.setattr(compcars_module, 'print_log', lambda msg, **kw: logged.append(msg))
    os.remove(osp.join(compcars_root, 'data/label/1/10/2015/c.txt'))
    ds = CompCarsVerificationDataset(data_root=compcars_root)
    assert ds.get_data_info(1)['viewpoint'] == -1
    assert ds.get_data_info(0)['viewpoint'] == 1
    assert logged == [f'CompCars: 1 of 5 images have no label file under '
                      f'{osp.join(compcars_root, "data/label/")}; their viewpoint is -1']
    with pytest.raises(FileNotFoundError, match='c.txt'):
        CompCarsVerificationDataset(data_root=compcars_root, crop_to_car_box=True)


# ----------------------------------------------------------------------------- bad input
def _rewrite(root, rel, lines, encoding='utf-8'):
    path = osp.join(root, rel)
    write_text(path, lines, encoding)
    return path


@pytest.mark.parametrize('lines, line_no, msg', [
    (['1/10/2014/a.jpg', '1/10/2014/a.jpg'], 2, "duplicate image '1/10/2014/a.jpg' "
     r'\(first listed at line 1\)'),
    (['1/10/2014/a.jpg', '1/10/a.jpg'], 2, 'is not of the form'),
    (['1/10/2014/a.jpg', '1/x/2014/a.jpg'], 2, 'model id is not an integer'),
    (['1/10/2014/a.jpg', '1/10/2014/a.jpg 1'], 2, 'wrong number of fields'),
    (['1/10/2014/a.jpg', '', '1/10/2014/zz.jpg'], 3, 'image not found: .*zz.jpg'),
])
def test_bad_train_list(compcars_root, lines, line_no, msg):
    path = _rewrite(compcars_root, TRAIN_LIST, lines)
    with pytest.raises(DataFormatError, match=msg) as err:
        CompCarsVerificationDataset(data_root=compcars_root)
    assert f'{path}:{line_no}:' in str(err.value)


@pytest.mark.parametrize('lines, line_no, msg', [
    (['1/10/2014/a.jpg 1/10/2014/b.jpg 1', '1/10/2014/a.jpg 1/10/2014/b.jpg'], 2,
     r'expected 3 \(<path1> <path2> <label>\), got 2'),
    (['1/10/2014/a.jpg 1/10/2014/b.jpg 2'], 1, 'label must be 0 or 1'),
    (['1/10/2014/a.jpg 1/10/2014/b.jpg yes'], 1, 'label is not an integer'),
    (['1/10/2014/a.jpg 9/99/2014/q.jpg 0'], 1, 'image not found: .*q.jpg'),
    (['1/10/2014/a.jpg 1/11/2014/d.jpg 1'], 1, 'label 1 contradicts the paths'),
])
def test_bad_pair_file(compcars_root, lines, line_no, msg):
    path = _rewrite(compcars_root, EASY, lines)
    with pytest.raises(DataFormatError, match=msg) as err:
        CompCarsVerificationDataset(data_root=compcars_root, mode='test',
                                    pair_files=dict(model_easy=EASY))
    assert f'{path}:{line_no}:' in str(err.value)


def test_year_pair_label_checked(compcars_root):
    rel = YEAR_FILES['year_easy']
    path = _rewrite(compcars_root, rel, ['1/10/2014/a.jpg 1/10/2015/c.jpg 1'])
    with pytest.raises(DataFormatError, match='label 1 contradicts the paths, which do not '
                       'agree in make, model and year') as err:
        CompCarsVerificationDataset(data_root=compcars_root, mode='test',
                                    pair_files=dict(year_easy=rel))
    assert f'{path}:1:' in str(err.value)


def test_empty_and_non_utf8_lists(compcars_root):
    path = _rewrite(compcars_root, TRAIN_LIST, ['', '  '])
    with pytest.raises(DataFormatError, match='is empty') as err:
        CompCarsVerificationDataset(data_root=compcars_root)
    assert path in str(err.value)
    with open(path, 'wb') as f:
        f.write(b'1/10/2014/a.jpg\n1/10/2014/\xe9.jpg\n')
    with pytest.raises(DataFormatError, match='not valid utf-8') as err:
        CompCarsVerificationDataset(data_root=compcars_root)
    assert f'{path}:2:' in str(err.value)


def test_missing_files_and_folders(compcars_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='CompCars image folder not found'):
        CompCarsVerificationDataset(data_root=str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match="pair file 'model_x' not found: .*nope.txt"):
        CompCarsVerificationDataset(data_root=compcars_root, mode='test',
                                    pair_files=dict(model_x='nope.txt'))
    os.remove(osp.join(compcars_root, TRAIN_LIST))
    with pytest.raises(FileNotFoundError, match='train list not found'):
        CompCarsVerificationDataset(data_root=compcars_root)


def test_pipeline_output(compcars_root):
    meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                 'flip_direction', 'id_label', 'coarse_label', 'cam_id', 'is_query')
    ds = CompCarsVerificationDataset(
        data_root=compcars_root,
        pipeline=[dict(type='LoadVehicleImage'),
                  dict(type='Resize', scale=(32, 24), keep_ratio=False),
                  dict(type='RandomFlip', prob=1.0),
                  dict(type='PackDetInputs', meta_keys=meta_keys)])
    out = ds[2]
    assert tuple(out['inputs'].shape) == (3, 24, 32)
    meta = out['data_samples'].metainfo
    assert meta['ori_shape'] == (IMG_H, IMG_W) and meta['flip'] is True
    assert (meta['id_label'], meta['coarse_label'], meta['cam_id'], meta['is_query']) == \
        (3, 20, -1, False)
    assert meta['img_id'] == COMPCARS_TRAIN[2]
