"""set_max_iters stretches a run's schedule with its length (the configs as shipped)."""
import os.path as osp

import pytest

from eianet_mm.experiments.runs import load_config, set_max_iters


def test_stage2_cosine_and_checkpoint_follow_the_new_length(repo_root, tmp_path):
    cfg = load_config(osp.join(repo_root, 'configs/eianet_r18_synthcars.py'), str(tmp_path))
    assert cfg.train_cfg.max_iters == 400
    set_max_iters(cfg, 1200)
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 30)  # the warm-up keeps its length
    assert (cosine.type, cosine.end, cosine.T_max) == ('CosineAnnealingLR', 1200, 1200)
    assert cfg.train_cfg.max_iters == cfg.train_cfg.val_interval == 1200
    assert cfg.default_hooks.checkpoint.interval == 1200


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
