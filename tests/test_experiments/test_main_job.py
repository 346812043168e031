"""The main job end to end on the tiny SynthCars preset (a few iterations per stage)."""
import json
import os.path as osp

import numpy as np
import pytest

from eianet_mm.experiments import MainJob
from tools import learning_check as learning_check_tool
from tools import test as evaluation_tool
from eianet_mm.datasets.synthcars import SynthCarsConfig
from eianet_mm.experiments.main_job import PART_RPN_CONFIG, ensure_synthcars
from eianet_mm.experiments.report import write_report


@pytest.fixture(scope='module')
def job_results(tmp_path_factory):
    root = tmp_path_factory.mktemp('main_job')
    lines = []
    job = MainJob(seed=1, work_dir=str(root / 'work'), data_root=str(root / 'data'),
                  methods=('fc_jb', 'plain_drdl', 'eianet'), preset='tiny',
                  max_iters=2, log=lines.append)
    return job.run(), root, lines


def _config_name(run: str) -> str:
    return {'fc_network': 'fc_r18_synthcars', 'plain_drdl': 'plain_drdl_r18_synthcars',
            'eianet': 'eianet_r18_synthcars'}[run]


def test_results_json_holds_every_number(job_results):
    results, root, _ = job_results
    with open(root / 'work' / 'results.json') as f:
        assert json.load(f) == json.loads(json.dumps(results))
    assert set(results['methods']) == {'fc_jb', 'plain_drdl', 'eianet'}
    assert results['seed'] == results['train_seed'] == 1
    for method in results['methods'].values():
        assert set(method['verification']) == {f'{level}_{difficulty}'
                                               for level in ('model', 'year')
                                               for difficulty in ('easy', 'medium', 'hard')}
        for metrics in method['verification'].values():
            assert 0.0 <= metrics['accuracy'] <= 1.0 and 0.0 <= metrics['auc'] <= 1.0
            assert 2 <= metrics['n_folds'] <= 10
            # the AUC per viewpoint pair: the groups partition the list
            groups = metrics['by_viewpoint']
            assert all(' / ' in name for name in groups)
            assert sum(g['pairs'] for g in groups.values()) == (metrics['num_pos']
                                                                + metrics['num_neg'])
            assert sum(g['positives'] for g in groups.values()) == metrics['num_pos']
    # EIA-Net is scored by its fitted part pair scorers, and keeps the distance's numbers
    eianet = results['methods']['eianet']
    assert set(eianet['verification_by_distance']) == set(eianet['verification'])
    assert set(eianet['pair_scorer']) == {'model', 'year'}
    for learned in eianet['pair_scorer'].values():
        assert list(learned['distance']) == list(learned['shared']) == results['data'][
            'part_names']
        assert isinstance(learned['global_distance'], float)
    for key in ('fc_jb', 'plain_drdl'):
        assert 'pair_scorer' not in results['methods'][key]
        assert 'part_localisation' not in results['methods'][key]  # no part boxes
    # where EIA-Net's part boxes fall, per part and viewpoint, over every test image
    localisation = eianet['part_localisation']
    assert eianet['part_detector'] == 'copy'  # the SynthCars config's test-time detector
    assert list(localisation) == results['data']['part_names']
    num_test = results['data']['counts']['compcars']['test_images']
    for groups in localisation.values():
        assert set(groups) <= {'front', 'rear', 'side', 'front-side', 'rear-side'}
        assert sum(g['shown'] + g['not_shown'] for g in groups.values()) == num_test
        for g in groups.values():
            for count, share in ((g['shown'], g['placed']), (g['not_shown'], g['false'])):
                assert share is None if count == 0 else 0.0 <= share <= 1.0
    assert set(results['reid']) >= {'R1', 'R5', 'mAP', 'mINP'}
    assert 0.0 <= results['reid']['R1'] <= results['reid']['R5'] <= 1.0


def test_report_and_pictures_are_written(job_results):
    results, root, lines = job_results
    work = root / 'work'
    report = (work / 'report.md').read_text()
    assert 'Year-level verification' in report and 'Plain DRDL' in report
    assert '## Year-level AUC by viewpoint pair' in report and '**year_hard**' in report
    # the learned part weighting: distance against scorer, and a weight per part and level
    eianet = results['methods']['eianet']
    assert '## EIA-Net (RPN + CR-MAC + EIAL + MCCL): the learned part weighting' in report
    d, m = eianet['verification_by_distance']['year_hard'], eianet['verification']['year_hard']
    assert (f'| year_hard | {d["accuracy"]:.3f} / {d["auc"]:.3f} | {m["accuracy"]:.3f} / '
            f'{m["auc"]:.3f} |') in report
    part = results['data']['part_names'][0]
    assert (f'| {part} | {eianet["pair_scorer"]["model"]["distance"][part]:+.2f} | '
            f'{eianet["pair_scorer"]["year"]["distance"][part]:+.2f} |') in report
    hard = results['methods']['eianet']['verification']['year_hard']['by_viewpoint']
    group, g = next(iter(hard.items()))
    assert f'| {group} | {g["pairs"]} ({g["positives"]}) | ' in report
    assert '## EIA-Net (RPN + CR-MAC + EIAL + MCCL): part boxes by viewpoint' in report
    assert 'The parts were found by the frozen stage-1 part detector' in report
    cell = next(iter(eianet['part_localisation'][part].values()))  # the first view's
    placed = '–' if cell['placed'] is None else f'{cell["placed"]:.2f}'
    assert f'| {part} | {placed}' in report
    assert report.startswith('# EIA-Net on SynthCars (seed 1)\n')
    for name in ('roc_curves.png', 'ranking_lists.png', 'part_detections.png'):
        with open(work / name, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
        assert f'({name})' in report
    assert any(line.startswith('\n==== [') for line in lines)  # per-stage progress
    # tiny has 2 training models x 2 years: the configs' softmax and 8 x 4 batches shrink,
    # and the job says so
    assert 'eianet: 4 training classes in the data; softmax over 4 instead of 30' in lines
    assert 'eianet: P x K batches of 4 x 4 instead of 8 x 4' in lines
    assert 'fc_network: 4 training classes in the data; softmax over 4 instead of 30' in lines
    # every network starts from the stage-1 checkpoint
    for run in ('fc_network', 'plain_drdl', 'eianet'):
        cfg_text = (work / run / f'{_config_name(run)}.py').read_text()
        assert "load_from = '" + str(work / 'part_rpn' / 'iter_2.pth') + "'" in cfg_text


def test_test_tool_scores_with_the_pair_scorers_as_the_main_job(job_results, monkeypatch,
                                                                 capsys):
    """tools/test.py on the main job's EIA-Net: the config's pair_scorer is fitted on the
    training images and scores the lists, giving the main job's numbers."""
    results, root, _ = job_results
    run = root / 'work' / 'eianet'
    out = root / 'test_tool.json'
    monkeypatch.setattr('sys.argv', ['test.py', str(run / 'eianet_r18_synthcars.py'),
                                     str(run / 'iter_2.pth'), '--work-dir',
                                     str(root / 'test_tool'), '--out', str(out),
                                     '--cfg-options', 'log_level=INFO'])
    evaluation_tool.main()
    captured = capsys.readouterr()
    assert 'pair_scorer year: part distance weights' in captured.out + captured.err
    with open(out) as f:
        record = json.load(f)
    # the record says so: its thresholds are on the scorers' log-odds (tools/verify.py
    # does not take them for distance thresholds)
    assert record['pair_scorer'] == dict(C=1.0, max_train_pairs=20000)
    metrics = record['metrics']
    for name, expected in results['methods']['eianet']['verification'].items():
        for key in ('accuracy', 'auc'):
            assert metrics[f'verification/{name}/{key}'] == pytest.approx(expected[key])


def test_learning_check_tool_splits_the_main_jobs_eianet(job_results, capsys):
    """tools/learning_check.py on the job's EIA-Net: its whole-embedding row is the job's
    verification result; the branch rows and the training-set AUCs are there."""
    results, root, _ = job_results
    run = root / 'work' / 'eianet'
    out = root / 'check.json'
    status = learning_check_tool.main([str(run / 'eianet_r18_synthcars.py'),
                                       str(run / 'iter_2.pth'), '--train-every', '1',
                                       '--out', str(out)])
    assert status == 0
    assert '| rmac |' in capsys.readouterr().out
    with open(out) as f:
        check = json.load(f)
    assert set(check) == {'embedding', 'rmac', 'global'}
    # the learning check measures the embedding's distance, as the main job's
    # verification_by_distance (its verification rows come from the pair scorer)
    for name, metrics in results['methods']['eianet']['verification_by_distance'].items():
        for key in ('accuracy', 'auc'):
            assert check['embedding']['test'][name][key] == pytest.approx(metrics[key])
    for branch in check.values():
        assert set(branch['test']) == set(results['methods']['eianet']['verification'])
        assert 0.0 <= branch['train']['model'] <= 1.0 and 0.0 <= branch['train']['year'] <= 1.0


def test_existing_data_of_another_seed_is_not_overwritten(job_results):
    _, root, _ = job_results
    with pytest.raises(RuntimeError, match='holds another SynthCars dataset \\(seed 1\\)'):
        ensure_synthcars(str(root / 'data'), seed=2, preset='tiny', log=lambda s: None)
    assert osp.isfile(root / 'data' / 'synthcars_meta.json')
    # same seed, other settings (e.g. data of an older demo preset): the fields are named
    with pytest.raises(RuntimeError, match="seed 1, but other settings than preset 'demo' now "
                       'has: makes, models_per_make'):
        ensure_synthcars(str(root / 'data'), seed=1, preset='demo', log=lambda s: None)


def test_data_written_before_a_new_generator_field_is_still_recognised(tmp_path):
    meta = dict(seed=3, config=SynthCarsConfig.from_preset('tiny').to_dict())
    del meta['config']['jpeg_quality']  # as in data of a version without the field
    (tmp_path / 'synthcars_meta.json').write_text(json.dumps(meta))
    assert ensure_synthcars(str(tmp_path), seed=3, preset='tiny', log=lambda s: None) == meta
    # before min_parts_per_year existed a new year changed at least one part, not the
    # preset's three: that data is another dataset
    del meta['config']['min_parts_per_year']
    (tmp_path / 'synthcars_meta.json').write_text(json.dumps(meta))
    with pytest.raises(RuntimeError, match="other settings than preset 'tiny' now has: "
                       'min_parts_per_year'):
        ensure_synthcars(str(tmp_path), seed=3, preset='tiny', log=lambda s: None)
    meta['config']['min_parts_per_year'] = 2
    (tmp_path / 'synthcars_meta.json').write_text(json.dumps(meta))
    with pytest.raises(RuntimeError, match="other settings than preset 'tiny' now has: "
                       'min_parts_per_year'):
        ensure_synthcars(str(tmp_path), seed=3, preset='tiny', log=lambda s: None)
    # before year_pairs_show_design existed the year-level pairs came from every viewpoint
    meta['config']['min_parts_per_year'] = 3
    del meta['config']['year_pairs_show_design']
    (tmp_path / 'synthcars_meta.json').write_text(json.dumps(meta))
    with pytest.raises(RuntimeError, match="other settings than preset 'tiny' now has: "
                       'year_pairs_show_design'):
        ensure_synthcars(str(tmp_path), seed=3, preset='tiny', log=lambda s: None)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown methods \\['nope'\\]"):
        MainJob(seed=0, work_dir='unused', methods=('nope', ))


def test_train_seed_seeds_the_training_runs_only(job_results, tmp_path):
    job = MainJob(seed=8, work_dir=str(tmp_path), train_seed=1008)
    assert (job.seed, job.train_seed, job.data_root) == (8, 1008, 'data/synthcars_seed8')
    assert job._config(PART_RPN_CONFIG, 'part_rpn').randomness.seed == 1008
    assert MainJob(seed=8, work_dir=str(tmp_path)).train_seed == 8
    assert MainJob(seed=8, work_dir=str(tmp_path), cfg_options={'randomness.seed': 6},
                   train_seed=6).train_seed == 6
    assert MainJob(seed=8, work_dir=str(tmp_path),
                   cfg_options={'randomness.seed': 6}).train_seed == 6
    with pytest.raises(ValueError, match='train_seed 5 and cfg_options randomness.seed 6 '
                       'disagree'):
        MainJob(seed=8, work_dir='unused', train_seed=5, cfg_options={'randomness.seed': 6})
    results, _, _ = job_results
    report = write_report(str(tmp_path / 'report.md'), dict(results, seed=8, train_seed=1008))
    with open(report) as f:
        assert f.readline() == '# EIA-Net on SynthCars (data seed 8, training seed 1008)\n'


def test_report_compares_eianet_with_plain_drdl_list_by_list(job_results, tmp_path):
    results, _, _ = job_results
    methods = json.loads(json.dumps(results['methods']))
    for name, plain, eia in (('year_easy', 0.5, 0.625), ('year_medium', 0.6, 0.55),
                             ('year_hard', 0.5, 0.75)):
        methods['plain_drdl']['verification'][name]['accuracy'] = plain
        methods['eianet']['verification'][name]['accuracy'] = eia
    with open(write_report(str(tmp_path / 'report.md'), dict(results, methods=methods))) as f:
        report = f.read()
    assert '## EIA-Net against Plain DRDL' in report
    # ± the standard error of the paired fold differences
    errors = []
    for name in ('year_easy', 'year_medium', 'year_hard'):
        d = np.subtract(methods['eianet']['verification'][name]['fold_accuracy'],
                        methods['plain_drdl']['verification'][name]['fold_accuracy'])
        assert len(d) == methods['eianet']['verification'][name]['n_folds'] >= 2
        errors.append(np.std(d, ddof=1) / np.sqrt(len(d)))
    assert ('| year | +0.125 ± {:.3f} | -0.050 ± {:.3f} | +0.250 ± {:.3f} | 2 of 3 lists |'
            .format(*errors)) in report
    # results without the folds (written before they were kept): the differences alone
    for method in methods.values():
        for metrics in method['verification'].values():
            del metrics['fold_accuracy']
    with open(write_report(str(tmp_path / 'old.md'), dict(results, methods=methods))) as f:
        assert '| year | +0.125 | -0.050 | +0.250 | 2 of 3 lists |' in f.read()
    del methods['plain_drdl']
    with open(write_report(str(tmp_path / 'other.md'), dict(results, methods=methods))) as f:
        assert 'against Plain DRDL' not in f.read()


def test_report_says_which_detector_found_the_parts(job_results, tmp_path):
    """The part-box paragraph names the detector of results.json's ``part_detector``, and
    results written before it was kept get the paragraph without that sentence."""
    results, _, _ = job_results
    methods = json.loads(json.dumps(results['methods']))
    methods['eianet']['part_detector'] = 'shared'
    with open(write_report(str(tmp_path / 'shared.md'), dict(results, methods=methods))) as f:
        report = f.read()
    assert ('The parts were found by the part RPN on the backbone the embedding reads (one '
            'backbone pass). Share of the test images') in report
    del methods['eianet']['part_detector']
    with open(write_report(str(tmp_path / 'old.md'), dict(results, methods=methods))) as f:
        report = f.read()
    assert 'The parts were found' not in report
    assert '## EIA-Net (RPN + CR-MAC + EIAL + MCCL): part boxes by viewpoint\n\nShare of' in report
