import os
import os.path as osp

import pytest
from dataset_layouts import (VERI_GALLERY, VERI_QUERY, VERI_TRAIN, VERI_TRAIN_ATTRS, veri_xml,
                             write_text)

from eianet_mm.datasets import DataFormatError, VeRi776Dataset, parse_veri_xml


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_parse_gb2312_xml(veri_root):
    path = osp.join(veri_root, 'train_label.xml')
    with open(path, 'rb') as f:
        raw = f.read()
    assert '轿车'.encode('gb2312') in raw  # really gb2312 bytes, not UTF-8
    with pytest.raises(UnicodeDecodeError):
        raw.decode('utf-8')
    items = parse_veri_xml(path)
    assert [i['image_name'] for i in items] == VERI_TRAIN
    assert items[0] == dict(image_name=VERI_TRAIN[0], vehicle_id=2, camera_id=2, color_id=1,
                            type_id=4, line=5)
    assert [(i['color_id'], i['type_id']) for i in items] == \
        [VERI_TRAIN_ATTRS[n] for n in VERI_TRAIN]


def test_parse_utf8_xml_without_declaration(tmp_path):
    path = str(tmp_path / 'x.xml')
    write_text(path, ['<Items>', '<Item imageName="0001_c001_0_0.jpg" vehicleID="0001" '
                      'cameraID="c001" note="中文"/>', '</Items>'])
    assert parse_veri_xml(path) == [dict(image_name='0001_c001_0_0.jpg', vehicle_id=1,
                                         camera_id=1, color_id=-1, type_id=-1, line=2)]


def test_train(veri_root):
    ds = VeRi776Dataset(data_root=veri_root)
    got = infos(ds)
    assert [d['img_id'] for d in got] == ['image_train/' + n for n in VERI_TRAIN]
    assert [d['id_label'] for d in got] == [0, 0, 2, 1]  # ids 2, 2, 10, 7 -> sorted 2, 7, 10
    assert [d['cam_id'] for d in got] == [2, 3, 1, 2]
    assert [(d['color_id'], d['type_id']) for d in got] == \
        [VERI_TRAIN_ATTRS[n] for n in VERI_TRAIN]
    assert got[0]['img_path'] == osp.join(veri_root, 'image_train', VERI_TRAIN[0])
    assert not any(d['is_query'] for d in got)


def test_test_query_then_gallery(veri_root):
    ds = VeRi776Dataset(data_root=veri_root, mode='test')
    got = infos(ds)
    assert [d['img_id'] for d in got] == ['image_query/' + n for n in VERI_QUERY] + \
        ['image_test/' + n for n in VERI_GALLERY]
    assert [d['is_query'] for d in got] == [True, True, False, False, False, False]
    assert [d['id_label'] for d in got] == [5, 6, 5, 5, 6, 8]
    assert [d['cam_id'] for d in got] == [1, 2, 1, 3, 4, 5]
    assert [d['color_id'] for d in got] == [-1, -1, 1, 1, 1, 7]  # queries: not in the XML
    assert ds.metainfo['protocol'] == 'veri' and ds.test_mode


def test_without_xml(veri_root):
    os.remove(osp.join(veri_root, 'train_label.xml'))
    got = infos(VeRi776Dataset(data_root=veri_root))
    assert {(d['color_id'], d['type_id']) for d in got} == {(-1, -1)}


@pytest.mark.parametrize('names, line_no, msg', [
    ([VERI_TRAIN[0], 'junk.jpg'], 2, 'is not of the form'),
    ([VERI_TRAIN[0], '00x2_c002_1_0.jpg'], 2, 'vehicle id is not an integer'),
    ([VERI_TRAIN[0], '0002_cam2_1_0.jpg'], 2, 'camera id is not an integer'),
    ([VERI_TRAIN[0], VERI_TRAIN[0]], 2, 'duplicate image'),
    ([VERI_TRAIN[0], '0002_c002_1 0.jpg'], 2, 'wrong number of fields'),
    ([VERI_TRAIN[0], '0003_c002_99_0.jpg'], 2, 'image not found: .*0003_c002_99_0.jpg'),
])
def test_bad_name_list(veri_root, names, line_no, msg):
    path = osp.join(veri_root, 'name_train.txt')
    write_text(path, names)
    with pytest.raises(DataFormatError, match=msg) as err:
        VeRi776Dataset(data_root=veri_root)
    assert f'{path}:{line_no}:' in str(err.value)


def test_xml_disagrees_with_file_name(veri_root):
    path = osp.join(veri_root, 'train_label.xml')
    lines = veri_xml('TrainingImages', VERI_TRAIN, VERI_TRAIN_ATTRS)
    lines[6] = lines[6].replace('cameraID="c001"', 'cameraID="c009"')  # VERI_TRAIN[2]
    write_text(path, lines, encoding='gb2312')
    with pytest.raises(DataFormatError, match='camera 9 disagree with the file name') as err:
        VeRi776Dataset(data_root=veri_root)
    assert f'{path}:7:' in str(err.value)


@pytest.mark.parametrize('edit, line_no, msg', [
    (lambda ls: ls[:7], 8, 'malformed XML: no element found'),  # truncated file
    (lambda ls: ls[:4] + [ls[4].replace('/>', '>')] + ls[5:], 9, 'malformed XML: mismatched tag'),
    (lambda ls: ls[:5] + [ls[5].replace(' vehicleID="0002"', '')] + ls[6:], 6,
     '<Item> has no vehicleID attribute'),
    (lambda ls: ls[:4] + [ls[4].replace('colorID="1"', 'colorID="red"')] + ls[5:], 5,
     "colorID='red' is not an integer"),
    (lambda ls: ls[:4] + [ls[4], ls[4]] + ls[5:], 6, 'duplicate image'),
])
def test_bad_xml(veri_root, edit, line_no, msg):
    path = osp.join(veri_root, 'train_label.xml')
    write_text(path, edit(veri_xml('TrainingImages', VERI_TRAIN, VERI_TRAIN_ATTRS)),
               encoding='gb2312')
    with pytest.raises(DataFormatError, match=msg) as err:
        VeRi776Dataset(data_root=veri_root)
    assert f'{path}:{line_no}:' in str(err.value)


def test_xml_not_in_declared_encoding(veri_root):
    path = osp.join(veri_root, 'train_label.xml')
    lines = veri_xml('TrainingImages', VERI_TRAIN, VERI_TRAIN_ATTRS)
    with open(path, 'wb') as f:
        f.write('\n'.join(lines[:3]).encode('gb2312') + b'\n<!-- \xff\xff -->\n')
    with pytest.raises(DataFormatError, match='is not valid gb2312 text') as err:
        parse_veri_xml(path)
    assert f'{path}:4:' in str(err.value)
    with open(path, 'wb') as f:
        f.write(b'  \n')
    with pytest.raises(DataFormatError, match='is empty'):
        parse_veri_xml(path)


def test_missing_parts(veri_root):
    os.remove(osp.join(veri_root, 'name_query.txt'))
    with pytest.raises(FileNotFoundError, match='query name list not found: .*name_query.txt'):
        VeRi776Dataset(data_root=veri_root, mode='test')
    os.rename(osp.join(veri_root, 'image_train'), osp.join(veri_root, 'train'))
    with pytest.raises(FileNotFoundError, match='train image folder not found'):
        VeRi776Dataset(data_root=veri_root)
