import os
import os.path as osp

import pytest
from dataset_layouts import VID_MODELS, VID_TEST, VID_TRAIN, write_text

from eianet_mm.datasets import DataFormatError, VehicleIDDataset, read_vehicleid_model_attr


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_train(vehicleid_root):
    ds = VehicleIDDataset(data_root=vehicleid_root)
    got = infos(ds)
    assert [d['img_id'] for d in got] == [n + '.jpg' for n, _ in VID_TRAIN]
    assert [d['vehicle_id'] for d in got] == [v for _, v in VID_TRAIN]
    assert [d['id_label'] for d in got] == [0, 0, 1, 2, 1]  # 5 -> 0, 9 -> 1, 12 -> 2
    assert [d['coarse_label'] for d in got] == [100, 100, 101, -1, 101]
    assert all(d['cam_id'] == -1 and d['is_query'] is False for d in got)
    assert got[0]['img_path'] == osp.join(vehicleid_root, 'image', '0000001.jpg')
    assert ds.metainfo['protocol'] == 'vehicleid'


@pytest.mark.parametrize('subset, extra', [('small', 0), ('medium', 1), ('large', 1)])
def test_test_subsets(vehicleid_root, subset, extra):
    ds = VehicleIDDataset(data_root=vehicleid_root, mode='test', subset=subset)
    got = infos(ds)
    assert len(got) == len(VID_TEST) + extra
    assert [d['id_label'] for d in got[:4]] == [v for _, v in VID_TEST]  # raw ids
    assert ds.test_mode and ds.metainfo['protocol'] == 'vehicleid'
    assert not any(d['is_query'] for d in got)


def test_explicit_list(vehicleid_root):
    ds = VehicleIDDataset(data_root=vehicleid_root, mode='test',
                          ann_file='train_test_split/test_list_1600.txt')
    assert infos(ds)[-1]['img_id'] == '0000015.jpg'


def test_model_only_and_model_labels(vehicleid_root):
    ds = VehicleIDDataset(data_root=vehicleid_root, with_model_only=True)
    assert [d['img_id'] for d in infos(ds)] == ['0000001.jpg', '0000002.jpg', '0000003.jpg',
                                                '0000005.jpg']
    ds = VehicleIDDataset(data_root=vehicleid_root, with_model_only=True, label_level='model')
    assert [d['id_label'] for d in infos(ds)] == [0, 0, 1, 1]  # models 100, 101
    ds = VehicleIDDataset(data_root=vehicleid_root, mode='test', with_model_only=True,
                          label_level='model')
    assert [d['id_label'] for d in infos(ds)] == [200, 200, 200]
    with pytest.raises(ValueError, match='needs with_model_only=True'):
        VehicleIDDataset(data_root=vehicleid_root, label_level='model')


def test_without_model_attr(vehicleid_root):
    os.remove(osp.join(vehicleid_root, 'attribute/model_attr.txt'))
    ds = VehicleIDDataset(data_root=vehicleid_root)
    assert {d['coarse_label'] for d in infos(ds)} == {-1}
    with pytest.raises(FileNotFoundError, match='model attribute file not found'):
        VehicleIDDataset(data_root=vehicleid_root, with_model_only=True)


def test_model_attr_reader(vehicleid_root):
    assert read_vehicleid_model_attr(
        osp.join(vehicleid_root, 'attribute/model_attr.txt')) == VID_MODELS


@pytest.mark.parametrize('lines, line_no, msg', [
    (['0000001 5', '0000001 6'], 2, "duplicate image '0000001.jpg'"),
    (['0000001 5', '0000002'], 2, r'expected 2 \(<image name> <vehicle id>\), got 1'),
    (['0000001 five'], 1, 'vehicle id is not an integer'),
    (['0000001 5', '0000099 5'], 2, 'image not found: .*0000099.jpg'),
])
def test_bad_list(vehicleid_root, lines, line_no, msg):
    path = osp.join(vehicleid_root, 'train_test_split/train_list.txt')
    write_text(path, lines)
    with pytest.raises(DataFormatError, match=msg) as err:
        VehicleIDDataset(data_root=vehicleid_root)
    assert f'{path}:{line_no}:' in str(err.value)


@pytest.mark.parametrize('lines, line_no, msg', [
    (['5 100', '5 101'], 2, 'duplicate vehicle id 5'),
    (['5 100', '9 1 2'], 2, 'wrong number of fields'),
])
def test_bad_model_attr(vehicleid_root, lines, line_no, msg):
    path = osp.join(vehicleid_root, 'attribute/model_attr.txt')
    write_text(path, lines)
    with pytest.raises(DataFormatError, match=msg) as err:
        VehicleIDDataset(data_root=vehicleid_root)
    assert f'{path}:{line_no}:' in str(err.value)


def test_no_model_label_at_all(vehicleid_root):
    write_text(osp.join(vehicleid_root, 'attribute/model_attr.txt'), ['777 1'])
    path = osp.join(vehicleid_root, 'train_test_split/train_list.txt')
    with pytest.raises(DataFormatError, match='no image of this list has a model label') as err:
        VehicleIDDataset(data_root=vehicleid_root, with_model_only=True)
    assert str(err.value).startswith(path + ':')


def test_missing_image_folder(vehicleid_root):
    os.rename(osp.join(vehicleid_root, 'image'), osp.join(vehicleid_root, 'img'))
    with pytest.raises(FileNotFoundError, match='VehicleID image folder not found'):
        VehicleIDDataset(data_root=vehicleid_root)
