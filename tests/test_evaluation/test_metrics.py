"""mmengine metrics fed fabricated ``DetDataSample.to_dict()`` results."""
import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score
from mmdet.registry import METRICS
from mmdet.structures import DetDataSample

from eianet_mm.evaluation import (evaluate_rank_features, evaluate_vehicleid, paired_distance,
                                  verification_metrics)


def reid_samples(seed=0, num_q=25, num_g=90):
    rng = np.random.default_rng(seed)
    feats = torch.from_numpy(rng.normal(size=(num_q + num_g, 8)).astype(np.float32))
    pids = np.r_[rng.integers(0, 12, num_q), rng.integers(0, 12, num_g)]
    cams = rng.integers(1, 4, num_q + num_g)
    samples = []
    for i in range(num_q + num_g):
        ds = DetDataSample(
            metainfo=dict(img_id=f'{i:04d}.jpg', id_label=int(pids[i]), cam_id=int(cams[i]),
                          is_query=i < num_q))
        ds.pred_feature = feats[i]
        samples.append(ds.to_dict())
    return samples, feats, pids, cams


def run_metric(metric, samples, meta):
    metric.dataset_meta = meta
    for start in range(0, len(samples), 16):
        metric.process({}, samples[start:start + 16])
    return metric.evaluate(len(samples))


def test_reid_metric_veri():
    samples, feats, pids, cams = reid_samples()
    metric = METRICS.build(dict(type='ReIDMetric', ranks=(1, 5), max_rank=20, block_size=7))
    res = run_metric(metric, samples, dict(protocol='veri'))
    cmc, m_ap, m_inp = evaluate_rank_features(feats[:25], feats[25:], pids[:25], pids[25:],
                                              cams[:25], cams[25:], max_rank=20)
    assert set(res) == {'reid/R1', 'reid/R5', 'reid/mAP', 'reid/mINP'}
    assert res['reid/R1'] == pytest.approx(cmc[0], abs=1e-12)
    assert res['reid/R5'] == pytest.approx(cmc[4], abs=1e-12)
    assert res['reid/mAP'] == pytest.approx(m_ap, abs=1e-12)
    assert res['reid/mINP'] == pytest.approx(m_inp, abs=1e-12)


def test_reid_metric_vehicleid():
    samples, feats, pids, _ = reid_samples(1)
    metric = METRICS.build(dict(type='ReIDMetric', metric='cosine', num_draws=3, seed=4))
    res = run_metric(metric, samples, dict(protocol='vehicleid'))
    ref = evaluate_vehicleid(feats, pids, num_draws=3, seed=4, metric='cosine')
    cmc = ref['per_draw']['cmc']
    assert set(res) == {f'reid/{k}' for k in ('R1', 'R1_std', 'R5', 'R5_std', 'R10', 'R10_std',
                                               'mAP', 'mAP_std')}
    assert res['reid/R1'] == pytest.approx(ref['R1'], abs=1e-12)
    assert res['reid/R10'] == pytest.approx(cmc[:, 9].mean(), abs=1e-12)
    assert res['reid/R10_std'] == pytest.approx(cmc[:, 9].std(), abs=1e-12)
    assert res['reid/mAP_std'] == pytest.approx(ref['mAP_std'], abs=1e-12)


def test_reid_metric_errors():
    samples = reid_samples()[0]
    with pytest.raises(ValueError, match="dataset_meta\\['protocol'\\]"):
        run_metric(METRICS.build(dict(type='ReIDMetric')), samples, dict(protocol='market'))
    gallery_only = [dict(s, is_query=False) for s in samples]
    with pytest.raises(ValueError, match='needs queries and gallery images'):
        run_metric(METRICS.build(dict(type='ReIDMetric')), gallery_only, dict(protocol='veri'))
    with pytest.raises(ValueError, match='ranks must be'):
        METRICS.build(dict(type='ReIDMetric', ranks=(1, 60)))
    no_cam = [{k: v for k, v in s.items() if k != 'cam_id'} for s in samples]
    with pytest.raises(KeyError, match="lacks \\['cam_id'\\]"):
        run_metric(METRICS.build(dict(type='ReIDMetric')), no_cam, dict(protocol='veri'))


def verification_data(seed=0):
    rng = np.random.default_rng(seed)
    names = [f'm{i // 4}/y{i % 2}/{i:03d}.jpg' for i in range(60)]
    feats = torch.from_numpy(rng.normal(size=(60, 6)))
    samples = [dict(img_id=n, pred_feature=feats[i]) for i, n in enumerate(names)]

    def pair_list(num, file):
        a, b = rng.integers(0, 60, num), rng.integers(0, 60, num)
        labels = np.r_[np.ones(num // 2), np.zeros(num - num // 2)].astype(int)
        return dict(img_id1=[names[i] for i in a], img_id2=[names[i] for i in b],
                    label=labels, file=file), a, b

    pairs, index = {}, {}
    for name, num in (('model_easy', 40), ('year_hard', 30)):
        pairs[name], a, b = pair_list(num, f'/data/verification_pairs_{name}.txt')
        index[name] = (a, b)
    return samples, feats, pairs, index


def test_verification_metric(tmp_path):
    samples, feats, pairs, index = verification_data()
    prefix = str(tmp_path / 'out' / 'run')
    metric = METRICS.build(dict(type='VerificationMetric', metric='cosine', n_folds=5, seed=3,
                                outfile_prefix=prefix))
    res = run_metric(metric, samples, dict(pairs=pairs))
    dump = np.load(prefix + '.verification.npz')
    for name, (a, b) in index.items():
        scores = -paired_distance(feats[a], feats[b], 'cosine').numpy()
        ref = verification_metrics(scores, pairs[name]['label'], n_folds=5, seed=3)
        for key in ('accuracy', 'accuracy_std', 'auc', 'threshold', 'tpr@fpr1e-2',
                    'tpr@fpr1e-3'):
            assert res[f'verification/{name}/{key}'] == pytest.approx(ref[key], abs=1e-12)
        np.testing.assert_allclose(dump[f'{name}.scores'], scores, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(dump[f'{name}.labels'], pairs[name]['label'])
        np.testing.assert_allclose(dump[f'{name}.tpr'], ref['tpr'])
        np.testing.assert_allclose(dump[f'{name}.fpr'], ref['fpr'])
    assert len(res) == 12
    assert not any('loss' in key for key in res)


def test_verification_metric_by_viewpoint():
    samples, feats, pairs, index = verification_data()
    views = np.arange(60) % 3 + 1  # front, rear, side
    for sample, view in zip(samples, views):
        sample['viewpoint'] = int(view)
    metric = METRICS.build(dict(type='VerificationMetric', n_folds=5, by_viewpoint=True))
    res = run_metric(metric, samples, dict(pairs=pairs))
    names = {1: 'front', 2: 'rear', 3: 'side'}
    for name, (a, b) in index.items():
        scores = -paired_distance(feats[a], feats[b], 'euclidean').numpy()
        labels = np.asarray(pairs[name]['label'])
        low, high = np.minimum(views[a], views[b]), np.maximum(views[a], views[b])
        for lo, hi in {(int(x), int(y)) for x, y in zip(low, high)}:
            member = (low == lo) & (high == hi)
            key = f'verification/{name}[{" / ".join(sorted((names[lo], names[hi])))}]/auc'
            if 0 < labels[member].sum() < member.sum():
                assert res[key] == pytest.approx(
                    roc_auc_score(labels[member], scores[member]), abs=1e-12)
            else:
                assert key not in res
    del samples[7]['viewpoint']
    with pytest.raises(KeyError, match="sample 'm1/y1/007.jpg' has no viewpoint; add "
                       "'viewpoint' to the meta_keys"):
        run_metric(METRICS.build(dict(type='VerificationMetric', by_viewpoint=True)), samples,
                   dict(pairs=pairs))


def test_verification_metric_missing_and_duplicate_images():
    samples, _, pairs, _ = verification_data()
    pairs['year_hard']['img_id2'][4] = 'm9/y9/missing.jpg'
    metric = METRICS.build(dict(type='VerificationMetric', n_folds=5))
    with pytest.raises(ValueError, match="'year_hard' \\(/data/verification_pairs_year_hard.txt"
                       "\\): pair 5 references img_id 'm9/y9/missing.jpg'"):
        run_metric(metric, samples, dict(pairs=pairs))
    samples, _, pairs, _ = verification_data()
    with pytest.raises(ValueError, match='more than one embedding'):
        run_metric(METRICS.build(dict(type='VerificationMetric', n_folds=5)),
                   samples + samples[:1], dict(pairs=pairs))
    with pytest.raises(ValueError, match="dataset_meta\\['pairs'\\]"):
        run_metric(METRICS.build(dict(type='VerificationMetric')), samples, dict())


def test_verification_metric_pair_list_lengths():
    samples, _, pairs, _ = verification_data()
    pairs['model_easy']['label'] = pairs['model_easy']['label'][:-1]
    with pytest.raises(ValueError, match=r"'model_easy' .*different lengths \(40, 40, 39\)"):
        run_metric(METRICS.build(dict(type='VerificationMetric', n_folds=5)), samples,
                   dict(pairs=pairs))
