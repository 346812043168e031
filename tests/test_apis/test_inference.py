"""init_model / extract / verify / feature_maps on a tiny EIA-Net checkpoint."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from eianet_mm.apis import (extract, feature_maps, init_model, model_distance_metric,
                            part_names_of, verify)
from eianet_mm.datasets.vehicle_parts import SYNTHCARS_PART_CLASSES
from tests.test_apis.tiny_eianet import EMBED_DIMS, IMG_SIZE, NUM_PARTS, PART_DIMS, make_tiny_setup


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return make_tiny_setup(str(tmp_path_factory.mktemp('tiny_api')))


@pytest.fixture(scope='module')
def model(tiny):
    return init_model(tiny['config'], tiny['checkpoint'])


def test_init_model_loads_weights_and_meta(tiny, model):
    reference = tiny['model'].state_dict()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, reference[key], rtol=0, atol=0)
    assert not model.training
    assert model.cfg.model.type == 'EIANet'
    assert model.verification_thresholds == {
        'model': dict(threshold=50.0, metric='euclidean',
                      source="checkpoint meta 'verification_thresholds'")}
    assert model_distance_metric(model) == 'euclidean'
    assert part_names_of(model) == list(SYNTHCARS_PART_CLASSES)


def test_init_model_errors_name_the_file(tiny, tmp_path):
    with pytest.raises(FileNotFoundError, match='config file not found: .*nope.py'):
        init_model(str(tmp_path / 'nope.py'))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        init_model(tiny['config'], str(tmp_path / 'missing.pth'))
    partial = {k: v for k, v in tiny['model'].state_dict().items() if 'rpn_head' not in k}
    torch.save(dict(state_dict=partial), str(tmp_path / 'partial.pth'))
    with pytest.raises(RuntimeError, match='rpn_head'):
        init_model(tiny['config'], str(tmp_path / 'partial.pth'))


def test_extract_shapes_parts_and_batch_invariance(tiny, model):
    feats, parts = extract(model, tiny['images'], batch_size=4, return_parts=True)
    num = len(tiny['images'])
    assert feats.shape == (num, EMBED_DIMS) and feats.dtype == np.float32
    assert parts['bboxes'].shape == (num, NUM_PARTS, 4)
    assert parts['part_features'].shape == (num, NUM_PARTS, PART_DIMS)
    np.testing.assert_array_equal(parts['labels'], np.tile(np.arange(NUM_PARTS), (num, 1)))
    # the tiny model finds parts 0-3 and misses 4-6: zero boxes and zero descriptors
    np.testing.assert_array_equal(parts['detected'],
                                  np.tile(np.arange(NUM_PARTS) < 4, (num, 1)))
    assert (parts['bboxes'][:, 4:] == 0).all() and (parts['part_features'][:, 4:] == 0).all()
    one_by_one = np.concatenate([extract(model, [p], batch_size=1) for p in tiny['images'][:2]])
    np.testing.assert_allclose(one_by_one, feats[:2], rtol=0, atol=1e-5)


def test_paths_and_arrays_give_the_same_result_and_boxes_are_in_image_pixels(tiny, model):
    path = tiny['images'][4]  # not 64 x 64: the pipeline resizes it
    image = cv2.imread(path)
    assert image.shape[:2] != (IMG_SIZE, IMG_SIZE)
    from_path, parts = extract(model, path, return_parts=True)
    from_array = extract(model, [image])
    np.testing.assert_array_equal(from_path, from_array)
    resized = cv2.resize(image, (IMG_SIZE, IMG_SIZE), interpolation=cv2.INTER_LINEAR)
    small, small_parts = extract(model, resized, return_parts=True)
    np.testing.assert_allclose(small, from_path, rtol=0, atol=1e-6)
    scale = np.array([image.shape[1], image.shape[0]] * 2, np.float32) / IMG_SIZE
    np.testing.assert_allclose(parts['bboxes'][0], small_parts['bboxes'][0] * scale,
                               rtol=1e-5, atol=1e-3)


def test_flip_option_averages_the_image_and_its_mirror(tiny):
    plain = init_model(tiny['config'], tiny['checkpoint'],
                       cfg_options={'model.test_cfg.flip': False})
    flipped = init_model(tiny['config'], tiny['checkpoint'])
    image = cv2.imread(tiny['images'][0])
    both = extract(plain, [image, np.ascontiguousarray(image[:, ::-1])])
    np.testing.assert_allclose(extract(flipped, image)[0], both.mean(0), rtol=0, atol=1e-5)


def test_extract_errors_name_the_image(tiny, model, tmp_path):
    with pytest.raises(FileNotFoundError, match='image not found: .*ghost.jpg'):
        extract(model, [tiny['images'][0], str(tmp_path / 'ghost.jpg')])
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'\xff\xd8\xff\xe0 this is no jpeg')
    with pytest.raises(OSError, match='broken.jpg'):
        extract(model, [str(broken)])
    with pytest.raises(ValueError, match=r'image 1: an array image must be uint8 BGR'):
        extract(model, [cv2.imread(tiny['images'][0]), np.zeros((8, 8), np.float32)])
    with pytest.raises(ValueError, match='no images given'):
        extract(model, [])
    with pytest.raises(ValueError, match='build it with eianet_mm.apis.init_model'):
        extract(tiny['model'], tiny['images'][:1])  # built directly, without init_model


def test_progress_bar_for_many_images(tiny, model, capsys):
    extract(model, tiny['images'][:3], batch_size=2)
    err = capsys.readouterr().err
    assert 'extract' in err and '3/3' in err
    extract(model, tiny['images'][:2], batch_size=2)
    assert capsys.readouterr().err == ''


def test_verify_distance_and_decision(tiny, model):
    a, b = tiny['images'][0], tiny['images'][1]
    feats = extract(model, [a, b])
    expected = float(((feats[0].astype(np.float64) - feats[1])**2).sum())
    result = verify(model, a, b)
    assert result.distance == pytest.approx(expected, rel=1e-5)
    assert result.same is True and result.threshold == 50.0
    assert result.threshold_source == "checkpoint meta 'verification_thresholds'"
    assert result.parts[0]['bboxes'].shape == (NUM_PARTS, 4)
    assert verify(model, a, b, threshold=expected / 2).same is False
    assert verify(model, a, b, threshold=expected * 2).same is True
    year = verify(model, a, b, level='year')  # nothing stored for the year level
    assert year.same is None and year.threshold is None
    with pytest.raises(ValueError, match='level must be one of'):
        verify(model, a, b, level='make')


def test_verify_reads_results_json_and_the_configured_metric(tiny, tmp_path):
    checkpoint = str(tmp_path / 'iter_10.pth')
    torch.save(dict(state_dict=tiny['model'].state_dict()), checkpoint)
    with open(tmp_path / 'results.json', 'w') as f:
        json.dump(dict(checkpoint=checkpoint,
                       metrics={'verification/year_medium/threshold': -0.01}), f)
    model = init_model(tiny['config'], checkpoint,
                       cfg_options={'test_evaluator.metric': 'cosine'})
    assert model_distance_metric(model) == 'cosine'
    a, b = tiny['images'][0], tiny['images'][2]
    feats = extract(model, [a, b]).astype(np.float64)
    cosine = 1 - feats[0] @ feats[1] / np.linalg.norm(feats[0]) / np.linalg.norm(feats[1])
    result = verify(model, a, b, level='year')
    assert result.metric == 'cosine'
    assert result.distance == pytest.approx(cosine, rel=1e-4, abs=1e-6)
    assert result.threshold == 0.01
    assert osp.join(str(tmp_path), 'results.json') in result.threshold_source
    assert result.same is bool(cosine <= 0.01)


def test_part_names_from_the_config(tiny):
    model = init_model(tiny['config'], tiny['checkpoint'],
                       cfg_options={'part_classes': [f'p{i}' for i in range(NUM_PARTS)]})
    assert part_names_of(model) == [f'p{i}' for i in range(NUM_PARTS)]


def test_feature_maps_are_the_backbone_and_rpn_conv_maps(tiny, model):
    maps = feature_maps(model, tiny['images'][0])
    assert maps['backbone'].shape == (8, IMG_SIZE // 8, IMG_SIZE // 8)
    assert maps['part_rpn'].shape == (8, IMG_SIZE // 8, IMG_SIZE // 8)
    with torch.no_grad():
        reference = torch.relu(model.rpn_head.rpn_conv(maps['backbone'][None]))[0]
    torch.testing.assert_close(maps['part_rpn'], reference, rtol=1e-5, atol=1e-6)
    assert (maps['part_rpn'] >= 0).all()
