"""SynthCarsConfig validation and presets; the seeded random streams."""
import numpy as np
import pytest

from eianet_mm.datasets.synthcars import PRESETS, SynthCarsConfig
from eianet_mm.datasets.synthcars.streams import stream


def test_demo_preset_is_the_default_and_sized_for_the_demo():
    cfg = SynthCarsConfig.from_preset('demo')
    assert cfg == SynthCarsConfig()
    n_test = cfg.num_test_models
    n_train = cfg.makes * cfg.models_per_make - n_test
    n_compcars = cfg.years_per_model * (n_train * cfg.images_per_class
                                        + n_test * cfg.test_images_per_class)
    n_reid = 2 * cfg.instances * cfg.cameras_per_instance * cfg.images_per_camera
    assert (n_compcars, n_reid) == (6600, 1152)
    assert cfg.compcars_images_per_class('train') == 120
    assert cfg.compcars_images_per_class('test') == 200
    assert cfg.image_size == 128
    assert cfg.num_test_models == 5 and cfg.num_reid_test_ids == 48


def test_every_preset_is_valid_and_overrides_apply():
    for name in PRESETS:
        cfg = SynthCarsConfig.from_preset(name)
        assert cfg.num_test_models >= 2
    cfg = SynthCarsConfig.from_preset('tiny', image_size=48)
    assert cfg.image_size == 48 and cfg.makes == PRESETS['tiny']['makes']


@pytest.mark.parametrize('kwargs, message', [
    (dict(models_per_make=1), 'models_per_make must be an integer >= 2'),
    (dict(years_per_model=1), 'years_per_model must be an integer >= 2'),
    (dict(image_size=16), 'image_size must be an integer >= 32'),
    (dict(makes=2.5), 'makes must be an integer'),
    (dict(cameras=3, cameras_per_instance=4), 'cameras_per_instance (4) must be <= cameras (3)'),
    (dict(max_parts_per_year=5), 'need min <= max <= len(year_parts); got 3, 5, 3'),
    (dict(min_parts_per_year=3, max_parts_per_year=2), 'need min <= max'),
    (dict(year_parts=('wheel', )), 'need min <= max <= len(year_parts); got 3, 3, 1'),
    (dict(min_parts_per_year=0), 'min_parts_per_year must be an integer >= 1'),
    (dict(year_parts=('head_light', 'bumper')), 'year_parts must be distinct names'),
    (dict(year_parts=()), 'year_parts must be distinct names'),
    (dict(test_model_fraction=0.0), 'test_model_fraction must be in (0, 1)'),
    (dict(makes=1, models_per_make=2), 'need at least 2 test models and 1 training model'),
    (dict(instances=4, reid_test_fraction=0.9), 'at least 2 training and 2 test identities'),
    (dict(cameras=1000), 'cameras must be <= 999'),
    (dict(jpeg_quality=0), 'jpeg_quality must be in [1, 100]'),
    (dict(occlusion_prob=1.5), 'occlusion_prob must be in [0, 1]'),
    (dict(year_pairs_show_design=1), 'year_pairs_show_design must be True or False'),
    (dict(test_images_per_class=1), 'test_images_per_class must be 0 (= images_per_class)'),
])
def test_bad_config_is_refused_with_the_field_named(kwargs, message):
    with pytest.raises(ValueError) as err:
        SynthCarsConfig(**kwargs)
    assert message in str(err.value)


def test_unknown_preset_or_field():
    with pytest.raises(ValueError, match="unknown SynthCars preset 'huge'"):
        SynthCarsConfig.from_preset('huge')
    with pytest.raises(ValueError, match=r"unknown SynthCarsConfig fields \['colour'\]"):
        SynthCarsConfig.from_preset('demo', colour=3)


def test_to_dict_is_json_ready():
    d = SynthCarsConfig().to_dict()
    assert d['year_parts'] == ['head_light', 'tail_light', 'wheel']
    assert (d['min_parts_per_year'], d['max_parts_per_year']) == (3, 3)
    assert (d['images_per_class'], d['test_images_per_class']) == (120, 200)


def test_zero_test_images_per_class_means_images_per_class():
    cfg = SynthCarsConfig.from_preset('tiny')
    assert cfg.test_images_per_class == 0
    assert cfg.compcars_images_per_class('test') == cfg.compcars_images_per_class('train') == 6


def test_streams_depend_only_on_seed_and_keys():
    a = stream(3, 'scene', 'veri', 7).random(5)
    b = stream(3, 'scene', 'veri', 7).random(5)
    np.testing.assert_array_equal(a, b)
    for other in (stream(4, 'scene', 'veri', 7), stream(3, 'scene', 'veri', 8),
                  stream(3, 'scene', 'vehicleid', 7), stream(3, 'scene', 'veri')):
        assert not np.array_equal(a, other.random(5))


def test_stream_keys_are_checked():
    with pytest.raises(TypeError, match='stream keys must be int or str, got float'):
        stream(0, 1.5)
    with pytest.raises(ValueError, match='non-negative'):
        stream(0, -1)
