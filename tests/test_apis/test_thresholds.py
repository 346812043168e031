"""Where verification thresholds come from: argument, checkpoint meta, results.json."""
import json
import math

import pytest

from eianet_mm.apis import find_thresholds, thresholds_from_metrics, thresholds_to_meta
from eianet_mm.apis.thresholds import resolve_threshold

METRICS = {
    'verification/model_easy/threshold': -3.0,
    'verification/model_medium/threshold': -4.5,
    'verification/model_medium/accuracy': 0.9,
    'verification/year_hard/threshold': -2.0,
    'verification/year_easy/threshold': -1.0,
}


def test_thresholds_from_metrics_negates_and_prefers_medium():
    found = thresholds_from_metrics(METRICS)
    assert found == {
        'model': dict(threshold=4.5, pair_list='model_medium'),
        'year': dict(threshold=1.0, pair_list='year_easy'),
    }
    # no prefix, and an infinite threshold (a list of one class) is not usable
    assert thresholds_from_metrics({'model_hard/threshold': 2.0}) == {
        'model': dict(threshold=-2.0, pair_list='model_hard')}
    assert thresholds_from_metrics({'model_hard/threshold': math.inf}) == {}
    assert thresholds_to_meta(METRICS, 'cosine') == {'metric': 'cosine', 'model': 4.5,
                                                     'year': 1.0}


def write_results(folder, checkpoint, metrics=METRICS):
    (folder / 'results.json').write_text(json.dumps(dict(
        config='c.py', checkpoint=str(checkpoint), metrics=metrics)))


def test_results_json_beside_the_checkpoint(tmp_path):
    ckpt = tmp_path / 'iter_800.pth'
    ckpt.write_bytes(b'')
    assert find_thresholds(str(ckpt)) == {}
    write_results(tmp_path, ckpt)
    found = find_thresholds(str(ckpt))
    assert found['model']['threshold'] == 4.5 and found['model']['metric'] is None
    assert str(tmp_path / 'results.json') in found['model']['source']
    assert 'model_medium' in found['model']['source']
    assert found['year']['threshold'] == 1.0
    # a relative path recorded from another working directory: file and folder names match
    write_results(tmp_path, f'work_dirs/{tmp_path.name}/iter_800.pth')
    assert find_thresholds(str(ckpt))['model']['threshold'] == 4.5


def test_results_of_another_checkpoint_are_not_used(tmp_path):
    write_results(tmp_path, 'work_dirs/x/iter_400.pth')
    with pytest.warns(UserWarning, match='holds the results of .*iter_400.pth, not of '):
        assert find_thresholds(str(tmp_path / 'iter_800.pth')) == {}
    write_results(tmp_path, 'work_dirs/other_run/iter_800.pth')
    with pytest.warns(UserWarning, match='holds the results of'):
        assert find_thresholds(str(tmp_path / 'iter_800.pth')) == {}
    (tmp_path / 'results.json').write_text('{broken')
    with pytest.warns(UserWarning, match='is not a results file of tools/test.py or '
                      'tools/demo.py'):
        assert find_thresholds(str(tmp_path / 'iter_800.pth')) == {}


def test_the_demo_report_one_folder_up(tmp_path):
    (tmp_path / 'eianet').mkdir()
    (tmp_path / 'fc_network').mkdir()
    lists = {'model_medium': {'accuracy': 0.9, 'threshold': -7.0},
             'year_hard': {'accuracy': 0.8, 'threshold': -3.0}}
    (tmp_path / 'results.json').write_text(json.dumps(dict(seed=7, methods=dict(
        fc_svm=dict(checkpoint='work_dirs/demo/fc_network/iter_5.pth', verification=lists),
        fc_jb=dict(checkpoint='work_dirs/demo/fc_network/iter_5.pth', verification=lists),
        eianet=dict(checkpoint='work_dirs/demo/eianet/iter_9.pth', verification=lists)))))
    found = find_thresholds(str(tmp_path / 'eianet' / 'iter_9.pth'))
    assert {k: v['threshold'] for k, v in found.items()} == {'model': 7.0, 'year': 3.0}
    assert found['year']['source'] == f"{tmp_path / 'results.json'} (year_hard)"
    with pytest.warns(UserWarning, match='2 methods name'):
        assert find_thresholds(str(tmp_path / 'fc_network' / 'iter_5.pth')) == {}
    assert find_thresholds(str(tmp_path / 'eianet' / 'iter_1.pth')) == {}


def test_pair_scored_results_give_the_distances_thresholds(tmp_path):
    """Lists scored by part pair scorers hold log-odds thresholds: the demo's distance
    numbers are used instead, and tools/test.py's file is refused."""
    (tmp_path / 'eianet').mkdir()
    scorer = {'year_hard': {'accuracy': 0.8, 'threshold': 0.4}}
    distance = {'year_hard': {'accuracy': 0.7, 'threshold': -1.5}}
    (tmp_path / 'results.json').write_text(json.dumps(dict(seed=7, methods=dict(
        eianet=dict(checkpoint='work_dirs/demo/eianet/iter_9.pth', verification=scorer,
                    verification_by_distance=distance)))))
    found = find_thresholds(str(tmp_path / 'eianet' / 'iter_9.pth'))
    assert {k: v['threshold'] for k, v in found.items()} == {'year': 1.5}
    ckpt = tmp_path / 'eianet' / 'iter_9.pth'
    (tmp_path / 'eianet' / 'results.json').write_text(json.dumps(dict(
        config='c.py', checkpoint=str(ckpt), metrics=METRICS, pair_scorer=dict(C=1.0))))
    with pytest.warns(UserWarning, match='scored by part pair scorers.*pair_scorer=None'):
        found = find_thresholds(str(ckpt))
    assert found['year']['threshold'] == 1.5  # the demo's file one folder up


def test_checkpoint_meta_wins_over_results_json(tmp_path):
    write_results(tmp_path, tmp_path / 'ckpt.pth')
    meta = {'verification_thresholds': {'metric': 'cosine', 'model': 0.25}}
    found = find_thresholds(str(tmp_path / 'ckpt.pth'), meta)
    assert found == {'model': dict(threshold=0.25, metric='cosine',
                                   source="checkpoint meta 'verification_thresholds'")}


def test_resolve_order():
    stored = {'model': dict(threshold=4.5, metric=None, source='s')}
    assert resolve_threshold('model', 1.5, stored) == dict(threshold=1.5, metric=None,
                                                           source='argument')
    assert resolve_threshold('model', None, stored) is stored['model']
    assert resolve_threshold('year', None, stored) is None
    with pytest.raises(ValueError, match='level must be one of'):
        resolve_threshold('make', None, stored)
