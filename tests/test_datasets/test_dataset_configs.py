"""Every base dataset config builds its datasets on a tiny tree and yields images of its size."""
import copy
import os.path as osp

import pytest
from dataset_layouts import (write_compcars, write_parts, write_synthcars_tree, write_vehicleid,
                             write_veri, write_veriwild)
from mmdet.registry import DATASETS, METRICS
from mmengine.config import Config

META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'id_label', 'coarse_label', 'cam_id', 'is_query')

# config -> (tree writer, its folder under tmp_path, size, dataset type, evaluator type)
CONFIGS = {
    'synthcars_parts': (write_synthcars_tree, 'synthcars', 128, 'VehiclePartsDataset',
                        'CocoMetric'),
    'synthcars_verification': (write_synthcars_tree, 'synthcars', 128,
                               'CompCarsVerificationDataset', 'VerificationMetric'),
    'synthcars_veri776': (write_synthcars_tree, 'synthcars', 128, 'VeRi776Dataset',
                          'ReIDMetric'),
    'synthcars_vehicleid': (write_synthcars_tree, 'synthcars', 128, 'VehicleIDDataset',
                            'ReIDMetric'),
    'compcars_verification': (write_compcars, 'compcars', 224, 'CompCarsVerificationDataset',
                              'VerificationMetric'),
    'vehicle_parts_coco': (write_parts, 'vehicle_parts', 224, 'VehiclePartsDataset',
                           'CocoMetric'),
    'veri776': (write_veri, 'veri776', 256, 'VeRi776Dataset', 'ReIDMetric'),
    'vehicleid': (write_vehicleid, 'vehicleid', 256, 'VehicleIDDataset', 'ReIDMetric'),
    'veriwild': (write_veriwild, 'veriwild', 256, 'VeRiWildDataset', 'ReIDMetric'),
}


def load(repo_root, name):
    return Config.fromfile(osp.join(repo_root, 'configs/_base_/datasets', name + '.py'))


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_contents(repo_root, name):
    _, _, size, dataset_type, evaluator = CONFIGS[name]
    cfg = load(repo_root, name)
    assert tuple(cfg.img_scale) == (size, size)
    for pipeline in (cfg.train_pipeline, cfg.test_pipeline):
        assert pipeline[0]['type'] == 'LoadVehicleImage'
        resize = next(t for t in pipeline if t['type'] == 'Resize')
        assert tuple(resize['scale']) == (size, size) and resize['keep_ratio'] is False
        # the verification data also pass the CompCars viewpoint (AUC per viewpoint pair)
        meta_keys = META_KEYS + (('viewpoint', ) if evaluator == 'VerificationMetric' else ())
        assert pipeline[-1] == dict(type='PackDetInputs', meta_keys=meta_keys)
    assert any(t['type'] == 'RandomFlip' for t in cfg.train_pipeline)
    assert not any(t['type'] == 'RandomFlip' for t in cfg.test_pipeline)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        assert loader['dataset']['type'] == dataset_type
        assert loader.get('persistent_workers', False) is (loader['num_workers'] > 0)
    sampler = cfg.train_dataloader['sampler']
    if dataset_type == 'VehiclePartsDataset':
        assert sampler == dict(type='InfiniteSampler', shuffle=True)
        assert cfg.val_evaluator['type'] == 'CocoMetric'
    else:
        assert sampler['type'] == 'PKSampler'
        assert cfg.train_dataloader['batch_size'] == \
            sampler['num_ids'] * sampler['num_instances']
        expected = dict(type='VerificationMetric', metric='euclidean', n_folds=10, seed=0) \
            if evaluator == 'VerificationMetric' else \
            dict(type='ReIDMetric', metric='euclidean', max_rank=50, num_draws=10, seed=0)
        assert cfg.val_evaluator == expected
    if evaluator == 'VerificationMetric':
        assert cfg.test_evaluator == dict(cfg.val_evaluator, by_viewpoint=True)
    else:
        assert cfg.test_evaluator == cfg.val_evaluator
    assert cfg.train_dataloader['dataset'].get('mode', 'train') == 'train'
    if 'synthcars' in name:
        assert cfg.data_root == 'data/synthcars/'


def _retarget(dataset_cfg, old_root, new_root):
    dataset_cfg = copy.deepcopy(dataset_cfg)
    assert dataset_cfg['data_root'].startswith(old_root)
    dataset_cfg['data_root'] = new_root + dataset_cfg['data_root'][len(old_root):]
    return dataset_cfg


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_builds_datasets(repo_root, tmp_path, name):
    writer, folder, size, _, _ = CONFIGS[name]
    root = writer(str(tmp_path / folder)) + '/'
    cfg = load(repo_root, name)
    for key in ('train_dataloader', 'test_dataloader'):
        ds = DATASETS.build(_retarget(cfg[key]['dataset'], cfg.data_root, root))
        assert len(ds) > 0
        out = ds[0]
        assert tuple(out['inputs'].shape) == (3, size, size)
        meta = out['data_samples'].metainfo
        assert meta['img_shape'] == (size, size)
        if key == 'test_dataloader':
            assert ds.test_mode
            if 'verification' in name:
                names = set(ds.metainfo['pairs'])
                assert names == {f'{lv}_{d}' for lv in ('model', 'year')
                                 for d in ('easy', 'medium', 'hard')}
            elif 'parts' not in name:
                assert ds.metainfo['protocol'] in ('veri', 'vehicleid')
    evaluator = copy.deepcopy(cfg.val_evaluator)
    if evaluator['type'] == 'CocoMetric':
        evaluator['ann_file'] = root + evaluator['ann_file'][len(cfg.data_root):]
    metric = METRICS.build(evaluator)
    if evaluator['type'] == 'CocoMetric':
        assert metric._coco_api.get_img_ids() == [1, 2, 3]
