import os.path as osp
import struct
import zlib

import cv2
import numpy as np
import pytest
from dataset_layouts import COMPCARS_TRAIN

import eianet_mm.datasets.transforms.loading as loading_module
from eianet_mm.datasets import CompCarsVerificationDataset, DataFormatError
from eianet_mm.datasets.transforms import BadImageError, LoadVehicleImage, read_vehicle_image

RNG = np.random.default_rng(0)
IMG = RNG.integers(0, 256, (12, 10, 3), dtype=np.uint8)


def encode(img, ext):
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def write_bytes(tmp_path, name, data):
    path = str(tmp_path / name)
    with open(path, 'wb') as f:
        f.write(data)
    return path


def png_chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + \
        struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)


def test_reads_bgr(tmp_path):
    path = write_bytes(tmp_path, 'a.png', encode(IMG, '.png'))
    out = LoadVehicleImage()(dict(img_path=path))
    np.testing.assert_array_equal(out['img'], IMG)
    assert out['img_shape'] == (12, 10) and out['ori_shape'] == (12, 10)
    assert LoadVehicleImage(to_float32=True)(dict(img_path=path))['img'].dtype == np.float32


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = RNG.integers(0, 256, (7, 5), dtype=np.uint8)
    img = read_vehicle_image(write_bytes(tmp_path, 'g.png', encode(gray, '.png')))
    assert img.shape == (7, 5, 3) and img.dtype == np.uint8
    for c in range(3):
        np.testing.assert_array_equal(img[..., c], gray)


def test_four_channels_drop_alpha(tmp_path):
    bgra = RNG.integers(0, 256, (7, 5, 4), dtype=np.uint8)
    img = read_vehicle_image(write_bytes(tmp_path, 'a.png', encode(bgra, '.png')))
    np.testing.assert_array_equal(img, bgra[..., :3])


def test_jpeg_with_bytes_after_end_marker_is_fine(tmp_path):
    data = encode(IMG, '.jpg')
    path = write_bytes(tmp_path, 'x.jpg', data + b'\x00\x00trailing')
    expected = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(read_vehicle_image(path), expected)


def _bad_images(tmp_path):
    jpeg, png = encode(IMG, '.jpg'), encode(IMG, '.png')
    header = struct.pack('>IIBBBBB', 0, 4, 8, 0, 0, 0, 0)  # width 0, height 4
    zero_width = (b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', header) +
                  png_chunk(b'IDAT', zlib.compress(b'')) + png_chunk(b'IEND', b''))
    return {
        'missing': (str(tmp_path / 'nope.jpg'), 'image not found'),
        'empty': (write_bytes(tmp_path, 'empty.jpg', b''), r'image file is empty \(0 bytes\)'),
        'truncated_jpeg': (write_bytes(tmp_path, 't.jpg', jpeg[:len(jpeg) * 2 // 3]),
                           'truncated JPEG'),
        'jpeg_without_end': (write_bytes(tmp_path, 'e.jpg', jpeg[:-2]), 'truncated JPEG'),
        'truncated_png': (write_bytes(tmp_path, 't.png', png[:len(png) // 2]), 'truncated PNG'),
        'garbage': (write_bytes(tmp_path, 'g.jpg', b'this is not an image'),
                    'cannot decode image'),
        'zero_width': (write_bytes(tmp_path, 'w0.png', zero_width), 'image has size 0 x 4'),
    }


@pytest.mark.parametrize('case', ['missing', 'empty', 'truncated_jpeg', 'jpeg_without_end',
                                  'truncated_png', 'garbage', 'zero_width'])
def test_bad_image_errors_name_the_file(tmp_path, case):
    path, msg = _bad_images(tmp_path)[case]
    with pytest.raises(BadImageError, match=msg) as err:
        LoadVehicleImage()(dict(img_path=path))
    assert str(err.value).endswith(path)


def test_skip_bad_returns_none_and_counts(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(loading_module, 'print_log', lambda msg, **kw: logged.append(msg))
    bad = _bad_images(tmp_path)
    transform = LoadVehicleImage(skip_bad=True)
    assert transform(dict(img_path=bad['empty'][0])) is None
    assert transform(dict(img_path=bad['garbage'][0])) is None
    assert transform.num_skipped == 2
    assert logged[1].startswith('LoadVehicleImage: skipping bad image #2 of this process: '
                                'cannot decode image')
    assert logged[1].endswith(bad['garbage'][0])


def test_dataset_retries_another_image_when_skipping(compcars_root):
    bad = osp.join(compcars_root, 'data/image', COMPCARS_TRAIN[3])
    with open(bad, 'wb') as f:
        f.write(b'')
    ds = CompCarsVerificationDataset(data_root=compcars_root,
                                     pipeline=[dict(type='LoadVehicleImage', skip_bad=True)])
    out = ds[3]
    assert out['img_path'] != bad and out['img'].shape == (16, 20, 3)
    strict = CompCarsVerificationDataset(data_root=compcars_root,
                                         pipeline=[dict(type='LoadVehicleImage')])
    with pytest.raises(BadImageError, match=f'image file is empty.*{COMPCARS_TRAIN[3]}'):
        strict[3]


def test_crop_box(tmp_path):
    path = write_bytes(tmp_path, 'a.png', encode(IMG, '.png'))
    out = LoadVehicleImage()(dict(img_path=path, crop_bbox=[1.0, 2.0, 4.0, 30.0]))
    np.testing.assert_array_equal(out['img'], IMG[2:12, 1:4])  # clipped to the image
    with pytest.raises(DataFormatError, match='has no pixel inside the 10 x 12 image') as err:
        LoadVehicleImage()(dict(img_path=path, crop_bbox=[20.0, 2.0, 24.0, 5.0],
                                label_path='/x/label.txt'))
    assert str(err.value).startswith('/x/label.txt: ')
