"""The command line (tools/make_synthcars.py) and the sample picture."""
import importlib.util
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from eianet_mm.datasets.synthcars import SynthCarsConfig
from eianet_mm.datasets.synthcars.visualize import PART_COLORS, draw_sample_grid

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'make_synthcars.py')


def _tool():
    spec = importlib.util.spec_from_file_location('make_synthcars', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_generates_with_size_options(tmp_path, capsys):
    out = tmp_path / 'sc'
    rc = _tool().main(['--out', str(out), '--preset', 'tiny', '--seed', '4', '--image-size',
                       '48', '--images-per-class', '7', '--year-parts', 'head_light,wheel',
                       '--min-parts-per-year', '2', '--max-parts-per-year', '2',
                       '--workers', '1', '--no-progress'])
    assert rc == 0
    with open(out / 'synthcars_meta.json') as f:
        meta = json.load(f)
    assert meta['seed'] == 4
    assert meta['config'] == SynthCarsConfig.from_preset(
        'tiny', image_size=48, images_per_class=7, year_parts=('head_light', 'wheel'),
        min_parts_per_year=2, max_parts_per_year=2).to_dict()
    for model in meta['models']:
        for year in model['years'][1:]:
            assert year['changed_parts'] == ['head_light', 'wheel']
    assert meta['counts']['compcars']['images'] == 2 * 2 * 2 * 7
    assert 'SynthCars (seed 4)' in capsys.readouterr().out


def test_cli_help_and_errors(capsys):
    tool = _tool()
    with pytest.raises(SystemExit) as err:
        tool.main(['--help'])
    assert err.value.code == 0
    text = capsys.readouterr().out
    for flag in ('--out', '--seed', '--makes', '--models-per-make', '--years-per-model',
                 '--images-per-class', '--instances', '--cameras', '--image-size', '--workers'):
        assert flag in text
    with pytest.raises(SystemExit) as err:
        tool.main(['--seed', '1'])
    assert err.value.code == 2
    assert '--out is required' in capsys.readouterr().err
    assert tool.main(['--out', '/nonexistent/never', '--models-per-make', '1']) == 2
    assert 'models_per_make must be an integer >= 2' in capsys.readouterr().err


def test_sample_grid(tmp_path):
    cfg = SynthCarsConfig(image_size=64)
    path = str(tmp_path / 'grid.png')
    grid = draw_sample_grid(path, cfg, seed=0, scale=2)
    assert grid.shape == (3 * (16 + 128) + 20, 5 * 128, 3)
    np.testing.assert_array_equal(cv2.imread(path), grid)
    tiles = grid[:3 * 144].reshape(3, 144, 5, 128, 3)[:, 16:]  # drop the caption strips
    # boxes of wheels (every tile) and of head or tail lights are drawn in their colours
    for color in (PART_COLORS[6], PART_COLORS[0], PART_COLORS[1]):
        assert np.all(tiles == color, axis=-1).any()
    assert np.all(tiles == PART_COLORS[6], axis=-1).any(axis=(1, 3)).all()
