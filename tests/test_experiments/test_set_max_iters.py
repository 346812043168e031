"""set_max_iters stretches a run's schedule with its length (the configs as shipped)."""
import os.path as osp

import pytest

from eianet_mm.experiments.runs import load_config, set_max_iters


def test_stage2_cosine_and_checkpoint_follow_the_new_length(repo_root, tmp_path):
    cfg = load_config(osp.join(repo_root, 'configs/eianet_r18_synthcars.py'), str(tmp_path))
    new = 3 * cfg.train_cfg.max_iters
    set_max_iters(cfg, new)
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 30)  # the warm-up keeps its length
    assert (cosine.type, cosine.end, cosine.T_max) == ('CosineAnnealingLR', new, new)
    assert cfg.train_cfg.max_iters == cfg.train_cfg.val_interval == new
    assert cfg.default_hooks.checkpoint.interval == new


@pytest.mark.parametrize('config', [
    'configs/partrpn_r18_synthcars.py', 'configs/eianet_r18_synthcars.py',
    'configs/ablations/fc_r18_synthcars.py', 'configs/ablations/plain_drdl_r18_synthcars.py'])
def test_shipped_synthcars_schedules_end_with_their_run(repo_root, tmp_path, config):
    # a config that changes its length (the FC network's 400) changes its schedule with it
    cfg = load_config(osp.join(repo_root, config), str(tmp_path))
    length = cfg.train_cfg.max_iters
    assert cfg.train_cfg.val_interval == cfg.default_hooks.checkpoint.interval == length
    assert max(s.end for s in cfg.param_scheduler) == length
    assert all(s.get('T_max', length) == length for s in cfg.param_scheduler)


def test_stage1_milestones_scale(repo_root, tmp_path):
    cfg = load_config(osp.join(repo_root, 'configs/partrpn_r18_synthcars.py'), str(tmp_path))
    old = cfg.train_cfg.max_iters
    step = cfg.param_scheduler[1]
    milestones = list(step.milestones)
    set_max_iters(cfg, old // 2)
    assert step.end == old // 2
    assert list(step.milestones) == [round(m / 2) for m in milestones]
    assert cfg.param_scheduler[0].end == 100


def test_bad_length_is_refused(repo_root, tmp_path):
    cfg = load_config(osp.join(repo_root, 'configs/eianet_r18_synthcars.py'), str(tmp_path))
    with pytest.raises(ValueError, match='max_iters must be >= 1, got 0'):
        set_max_iters(cfg, 0)
