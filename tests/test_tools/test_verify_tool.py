"""tools/verify.py: distance, decision, picture and JSON; errors name the bad image."""
import json

import cv2
import numpy as np
import pytest

from eianet_mm.apis import extract, init_model


def test_verify_prints_decides_and_draws(tiny, run_tool, tmp_path):
    a, b = tiny['images'][0], tiny['images'][1]
    feats = extract(init_model(tiny['config'], tiny['checkpoint']), [a, b]).astype(np.float64)
    distance = float(((feats[0] - feats[1])**2).sum())
    out_png, out_json = tmp_path / 'pair.png', tmp_path / 'pair.json'
    status, out, err = run_tool('verify', [tiny['config'], tiny['checkpoint'], a, b, '--out',
                                           out_png, '--json', out_json, '--threshold',
                                           distance / 2])
    assert status == 0, err
    assert f'distance (euclidean): {distance:.6f}' in out
    assert 'threshold: ' in out and '(argument)' in out
    assert '-> DIFFERENT MODELS' in out
    assert 'parts detected 4/7: head_light, tail_light, logo, plate' in out
    picture = cv2.imread(str(out_png))
    assert picture is not None and picture.shape[1] > 2 * 256 and picture.shape[2] == 3
    record = json.loads(out_json.read_text())
    assert record['distance'] == pytest.approx(distance, rel=1e-5)
    assert record['same'] is False and record['threshold'] == distance / 2
    assert record['parts'][0]['detected'] == [True] * 4 + [False] * 3
    assert len(record['parts'][1]['bboxes']) == 7


def test_verify_uses_the_stored_threshold_and_year_level(tiny, run_tool, tmp_path):
    a, b = tiny['images'][0], tiny['images'][3]
    status, out, _ = run_tool('verify', [tiny['config'], tiny['checkpoint'], a, b, '--out',
                                         tmp_path / 'm.png'])
    assert status == 0
    assert "threshold: 50.000000 (checkpoint meta 'verification_thresholds')" in out
    assert '-> SAME MODEL' in out
    status, out, _ = run_tool('verify', [tiny['config'], tiny['checkpoint'], a, b, '--out',
                                         tmp_path / 'y.png', '--level', 'year'])
    assert status == 0
    assert 'threshold: none found' in out and 'no decision' in out
    assert cv2.imread(str(tmp_path / 'y.png')) is not None


def test_verify_names_a_missing_or_unreadable_image(tiny, run_tool, tmp_path):
    status, _, err = run_tool('verify', [tiny['config'], tiny['checkpoint'], tiny['images'][0],
                                         tmp_path / 'ghost.jpg', '--out', tmp_path / 'x.png'])
    assert status == 1 and 'ghost.jpg' in err and err.startswith('error:')
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    status, _, err = run_tool('verify', [tiny['config'], tiny['checkpoint'], broken,
                                         tiny['images'][0], '--out', tmp_path / 'x.png'])
    assert status == 1 and 'broken.png' in err
    assert not (tmp_path / 'x.png').exists()
