"""A tiny generated SynthCars tree, read by every loader through the SynthCars base configs."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS, METRICS
from mmengine.config import Config

from eianet_mm.datasets.synthcars import SynthCarsConfig, generate

TINY = dict(makes=2, models_per_make=3, years_per_model=2, images_per_class=4, instances=8,
            cameras=4, cameras_per_instance=2, images_per_camera=1, image_size=64)


@pytest.fixture(scope='module')
def synthcars(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthcars'))
    summary = generate(out, SynthCarsConfig(**TINY), seed=3)
    return out + '/', summary.counts


def build(repo_root, config, key, root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs/_base_/datasets', config + '.py'))
    dataset = copy.deepcopy(cfg[key]['dataset'])
    dataset['data_root'] = root + dataset['data_root'][len(cfg.data_root):]
    return DATASETS.build(dataset)


def infos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_verification(repo_root, synthcars):
    root, counts = synthcars
    train = build(repo_root, 'synthcars_verification', 'train_dataloader', root)
    assert len(train) == counts['compcars']['train_images']
    labels = [d['id_label'] for d in infos(train)]
    assert sorted(set(labels)) == list(range(len(set(labels))))  # contiguous model-years
    assert tuple(train[0]['inputs'].shape) == (3, 128, 128)
    test = build(repo_root, 'synthcars_verification', 'test_dataloader', root)
    pairs = test.metainfo['pairs']
    assert set(pairs) == set(counts['compcars']['pairs'])
    for name, entry in pairs.items():
        expected = counts['compcars']['pairs'][name]
        assert osp.basename(entry['file']) == expected['file']
        assert int(entry['label'].sum()) == expected['positives']
        assert int((entry['label'] == 0).sum()) == expected['negatives']
    ids = {d['img_id'] for d in infos(test)}
    assert ids == {i for e in pairs.values() for i in e['img_id1'] + e['img_id2']}
    assert not ids & {d['img_id'] for d in infos(train)}  # disjoint test models


def test_reid(repo_root, synthcars):
    root, counts = synthcars
    veri = counts['veri776']
    train = build(repo_root, 'synthcars_veri776', 'train_dataloader', root)
    assert len(train) == veri['train_images']
    assert len({d['id_label'] for d in infos(train)}) == veri['train_ids']
    test = build(repo_root, 'synthcars_veri776', 'test_dataloader', root)
    flags = np.array([d['is_query'] for d in infos(test)])
    assert flags.sum() == veri['query_images'] and (~flags).sum() == veri['test_images']
    assert flags[:veri['query_images']].all()  # queries first
    vid = counts['vehicleid']
    train = build(repo_root, 'synthcars_vehicleid', 'train_dataloader', root)
    assert len(train) == vid['train_images']
    test = build(repo_root, 'synthcars_vehicleid', 'test_dataloader', root)
    assert len({d['id_label'] for d in infos(test)}) == vid['test_list_800_ids']
    assert tuple(test[0]['inputs'].shape) == (3, 128, 128)


def test_parts(repo_root, synthcars):
    root, counts = synthcars
    for key, split in (('train_dataloader', 'train'), ('test_dataloader', 'test')):
        ds = build(repo_root, 'synthcars_parts', key, root)
        boxes = sum(len(d['instances']) for d in infos(ds))
        assert boxes == counts['compcars'][f'part_boxes_{split}']
        gt = ds[0]['data_samples'].gt_instances
        assert len(gt) == len(ds.get_data_info(0)['instances']) > 0


def _evaluate(metric_cfg, ds, feature_of):
    """Run a registered metric over ``ds`` with the features ``feature_of(info)``."""
    metric = METRICS.build(metric_cfg)
    metric.dataset_meta = ds.metainfo
    samples = [dict(info, pred_feature=feature_of(info)) for info in infos(ds)]
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def _one_hot(keys):
    index = {k: i for i, k in enumerate(sorted(set(keys)))}
    return lambda key: torch.eye(len(index))[index[key]] * 10


def test_metrics_read_the_dataset_meta(repo_root, synthcars):
    root, _ = synthcars
    test = build(repo_root, 'synthcars_verification', 'test_dataloader', root)
    cfg = dict(type='VerificationMetric', metric='euclidean', n_folds=2, seed=0)
    all_infos = infos(test)
    by_year = _one_hot([(d['model_id'], d['year']) for d in all_infos])
    res = _evaluate(cfg, test, lambda d: by_year((d['model_id'], d['year'])))
    assert all(res[f'year_{lv}/accuracy'] == 1.0 for lv in ('easy', 'medium', 'hard'))
    by_model = _one_hot([d['model_id'] for d in all_infos])
    res = _evaluate(cfg, test, lambda d: by_model(d['model_id']))
    assert all(res[f'model_{lv}/accuracy'] == 1.0 for lv in ('easy', 'medium', 'hard'))
    reid = dict(type='ReIDMetric', metric='euclidean', max_rank=5, ranks=(1, ), num_draws=2,
                seed=0)
    for config in ('synthcars_veri776', 'synthcars_vehicleid'):
        test = build(repo_root, config, 'test_dataloader', root)
        by_id = _one_hot([d['id_label'] for d in infos(test)])
        res = _evaluate(reid, test, lambda d: by_id(d['id_label']))
        assert res['R1'] == 1.0 and res['mAP'] == 1.0
