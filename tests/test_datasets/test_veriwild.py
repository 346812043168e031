import os
import os.path as osp

import pytest
from dataset_layouts import WILD_CAMS, WILD_GALLERY, WILD_MODELS, WILD_TRAIN, write_text

from eianet_mm.datasets import DataFormatError, VeRiWildDataset, read_veriwild_vehicle_info

SPLIT = 'train_test_split'
MODEL_INDEX = {m: i for i, m in enumerate(sorted(set(WILD_MODELS.values())))}


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_vehicle_info(veriwild_root):
    info = read_veriwild_vehicle_info(osp.join(veriwild_root, SPLIT, 'vehicle_info.txt'))
    assert info == {k: (c, WILD_MODELS[k.split('/')[0]]) for k, c in WILD_CAMS.items()}


def test_vehicle_info_without_header(tmp_path):
    path = str(tmp_path / 'vehicle_info.txt')
    write_text(path, ['7/1;3;t;m;s;c', '7/2;4;t;m;s;c'])
    assert read_veriwild_vehicle_info(path) == {'7/1': (3, 'm'), '7/2': (4, 'm')}


def test_vehicle_info_encoding(veriwild_root):
    path = osp.join(veriwild_root, SPLIT, 'vehicle_info.txt')
    write_text(path, ['id/image;Camera ID;Time;Model;Type;Color'] +
               [f'{k};{c};t;大众 朗逸;sedan;white' for k, c in WILD_CAMS.items()],
               encoding='gbk')
    with pytest.raises(DataFormatError, match='is not valid utf-8 text') as err:
        VeRiWildDataset(data_root=veriwild_root)
    assert f'{path}:2:' in str(err.value)
    ds = VeRiWildDataset(data_root=veriwild_root, vehicle_info_encoding='gbk')
    assert ds.get_data_info(1)['cam_id'] == WILD_CAMS[WILD_TRAIN[1]]


def test_train(veriwild_root):
    got = infos(VeRiWildDataset(data_root=veriwild_root))
    assert [d['img_id'] for d in got] == [k + '.jpg' for k in WILD_TRAIN]
    assert [d['id_label'] for d in got] == [0, 0, 1]
    assert [d['cam_id'] for d in got] == [WILD_CAMS[k] for k in WILD_TRAIN]
    assert [d['coarse_label'] for d in got] == \
        [MODEL_INDEX[WILD_MODELS[k.split('/')[0]]] for k in WILD_TRAIN]
    assert got[0]['img_path'] == osp.join(veriwild_root, 'images/00001/000001.jpg')


@pytest.mark.parametrize('subset', ['small', 'medium', 'large'])
def test_test_both_formats(veriwild_root, subset):
    ds = VeRiWildDataset(data_root=veriwild_root, mode='test', subset=subset)
    got = infos(ds)
    queries = ['00100/001000', '00101/001010']
    assert [d['img_id'] for d in got] == [k + '.jpg' for k in queries + WILD_GALLERY]
    assert [d['is_query'] for d in got] == [True, True, False, False, False, False]
    assert [d['id_label'] for d in got] == [100, 101, 100, 100, 101, 102]
    assert [d['cam_id'] for d in got] == [WILD_CAMS[k] for k in queries + WILD_GALLERY]
    assert ds.metainfo['protocol'] == 'veri' and ds.test_mode


def test_subset_picks_its_lists(veriwild_root):
    write_text(osp.join(veriwild_root, SPLIT, 'test_10000.txt'), ['00102/001020'])
    assert len(VeRiWildDataset(data_root=veriwild_root, mode='test', subset='large')) == 3
    assert len(VeRiWildDataset(data_root=veriwild_root, mode='test', subset='small')) == 6
    with pytest.raises(ValueError, match='subset must be one of'):
        VeRiWildDataset(data_root=veriwild_root, subset='huge')


def test_vehicle_info_in_root_and_absent(veriwild_root):
    os.rename(osp.join(veriwild_root, SPLIT, 'vehicle_info.txt'),
              osp.join(veriwild_root, 'vehicle_info.txt'))
    assert infos(VeRiWildDataset(data_root=veriwild_root))[1]['cam_id'] == 4
    os.remove(osp.join(veriwild_root, 'vehicle_info.txt'))
    got = infos(VeRiWildDataset(data_root=veriwild_root))
    assert {(d['cam_id'], d['coarse_label']) for d in got} == {(-1, -1)}
    # the queries carry their cameras, the gallery lines (1 field) do not
    gallery = osp.join(veriwild_root, SPLIT, 'test_3000.txt')
    with pytest.raises(DataFormatError, match='no camera id for 00100/001001') as err:
        VeRiWildDataset(data_root=veriwild_root, mode='test')
    assert f'{gallery}:1:' in str(err.value)


@pytest.mark.parametrize('lines, line_no, msg', [
    (['00100/001000.jpg 100 5', '00101/001010.jpg 101'], 2, 'wrong number of fields: '
     r'expected 1 or 3 \(<vid>/<imgid> or <vid>/<imgid>.jpg <pid> <camid>\), got 2'),
    (['00100/001000.jpg 100 5', '00101/001010.jpg 999 7'], 2,
     'pid 999 differs from the vehicle folder 00101'),
    (['00100/001000.jpg 100 9'], 1, r'camid 9 disagrees with .*vehicle_info.txt \(camera 5\)'),
    (['00100/001000.jpg 100 x'], 1, 'camid is not an integer'),
    (['00100-001000'], 1, 'is not of the form <vid>/<imgid>'),
    (['abc/001000'], 1, 'vehicle id is not an integer'),
    (['00100/001000', '00100/001000.jpg 100 5'], 2, "duplicate image '00100/001000'"),
    (['00100/001000', '00100/009999.jpg 100 5'], 2, 'image not found: .*009999.jpg'),
])
def test_bad_list(veriwild_root, lines, line_no, msg):
    path = osp.join(veriwild_root, SPLIT, 'test_3000_query.txt')
    write_text(path, lines)
    with pytest.raises(DataFormatError, match=msg) as err:
        VeRiWildDataset(data_root=veriwild_root, mode='test')
    assert f'{path}:{line_no}:' in str(err.value)


@pytest.mark.parametrize('lines, line_no, msg', [
    (['h;e;a;d;e;r', '1/1;3;t;m;s'], 2, r'expected 6 \(vid/imgid;camid;time;model;type;color\)'),
    (['h;e;a;d;e;r', '1/1;c3;t;m;s;c'], 2, 'camera id is not an integer'),
    (['h;e;a;d;e;r', '1/1;3;t;m;s;c', '1/1;3;t;m;s;c'], 3, "duplicate image '1/1'"),
    (['h;e;a;d;e;r', '11;3;t;m;s;c'], 2, 'is not of the form <vid>/<imgid>'),
])
def test_bad_vehicle_info(veriwild_root, lines, line_no, msg):
    path = osp.join(veriwild_root, SPLIT, 'vehicle_info.txt')
    write_text(path, lines)
    with pytest.raises(DataFormatError, match=msg) as err:
        VeRiWildDataset(data_root=veriwild_root)
    assert f'{path}:{line_no}:' in str(err.value)


def test_vehicle_info_header_only(veriwild_root):
    path = osp.join(veriwild_root, SPLIT, 'vehicle_info.txt')
    write_text(path, ['id/image;Camera ID;Time;Model;Type;Color'])
    with pytest.raises(DataFormatError, match='header line but no entries') as err:
        VeRiWildDataset(data_root=veriwild_root)
    assert str(err.value).startswith(path + ':')


def test_missing_list_and_images(veriwild_root):
    os.remove(osp.join(veriwild_root, SPLIT, 'test_5000_query.txt'))
    with pytest.raises(FileNotFoundError, match='VERI-Wild list not found: .*test_5000_query'):
        VeRiWildDataset(data_root=veriwild_root, mode='test', subset='medium')
    os.rename(osp.join(veriwild_root, 'images'), osp.join(veriwild_root, 'imgs'))
    with pytest.raises(FileNotFoundError, match='VERI-Wild image folder not found'):
        VeRiWildDataset(data_root=veriwild_root)
