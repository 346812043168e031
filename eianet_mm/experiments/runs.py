"""Run configs in-process: train a stage, load a trained model, collect embeddings.

The main job (:mod:`eianet_mm.experiments.main_job`) chains these; they are the same calls
``tools/train.py`` makes, with the data root and work dir set programmatically.
"""
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.runner import Runner, find_latest_checkpoint, load_checkpoint
from mmdet.registry import MODELS

from ..utils.config import read_config

DEFAULT_DATA_ROOT = 'data/synthcars/'


def replace_data_root(node: Any, old: str, new: str) -> Any:
    """Return ``node`` with every string that starts with ``old`` re-rooted at ``new``."""
    if isinstance(node, str):
        return new + node[len(old):] if node.startswith(old) else node
    if isinstance(node, (dict, ConfigDict)):
        return type(node)({k: replace_data_root(v, old, new) for k, v in node.items()})
    if isinstance(node, (list, tuple)):
        return type(node)(replace_data_root(v, old, new) for v in node)
    return node


def load_config(config: str,
                work_dir: str,
                data_root: Optional[str] = None,
                load_from: Optional[str] = None,
                cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """Load ``config`` with its SynthCars paths moved to ``data_root``.

    Args:
        config (str): Config file.
        work_dir (str): Where the run writes logs and checkpoints.
        data_root (str, optional): Replaces the configs' ``data/synthcars/`` prefix.
            Defaults to None (keep the config's paths).
        load_from (str, optional): Checkpoint to initialise from (stage 2 loads stage 1).
            Defaults to None (keep the config's ``load_from``).
        cfg_options (dict, optional): Extra settings merged last. Defaults to None.
    """
    cfg = read_config(config)
    if data_root is not None:
        root = data_root.rstrip('/') + '/'
        cfg = Config(replace_data_root(cfg.to_dict(), DEFAULT_DATA_ROOT, root),
                     filename=cfg.filename)
    cfg.work_dir = work_dir
    if load_from is not None:
        cfg.load_from = load_from
    if not torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def train(cfg: Config, name: str) -> str:
    """Train ``cfg`` to the end and return the path of its last checkpoint."""
    cfg.experiment_name = f'{name}_{time.strftime("%Y%m%d_%H%M%S")}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    checkpoint = find_latest_checkpoint(cfg.work_dir)
    if checkpoint is None:
        raise RuntimeError(f'training {name} wrote no checkpoint in {cfg.work_dir}; '
                           'check default_hooks.checkpoint in the config')
    return checkpoint


def build_trained_model(cfg: Config, checkpoint: str, device: str = 'cpu') -> torch.nn.Module:
    """Build ``cfg.model``, load ``checkpoint`` and switch to eval mode."""
    import eianet_mm  # noqa: F401  (registers the modules; the caller may be a bare script)
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    return model.to(device).eval()


def collect_features(model: torch.nn.Module,
                     dataloader_cfg: Dict[str, Any]) -> Tuple[np.ndarray, List[dict], dict]:
    """Embed every image of a dataloader config, in dataset order.

    Returns:
        tuple: ``(features [N, D] float32, samples, dataset metainfo)`` where each sample is
        the data sample's dict (metainfo keys, ``pred_instances``) without the embedding.
    """
    dataloader = Runner.build_dataloader(dataloader_cfg)
    feats: List[np.ndarray] = []
    samples: List[dict] = []
    with torch.no_grad():
        for batch in dataloader:
            for sample in model.test_step(batch):
                record = sample.to_dict()
                feats.append(record.pop('pred_feature').detach().cpu().float().numpy())
                samples.append(record)
    return np.stack(feats), samples, dict(dataloader.dataset.metainfo)


def test_dataloader_of(cfg: Config, split: str = 'test') -> Dict[str, Any]:
    """A copy of ``cfg.<split>_dataloader`` with no workers (deterministic, no fork)."""
    loader = cfg[f'{split}_dataloader'].to_dict() if hasattr(
        cfg[f'{split}_dataloader'], 'to_dict') else dict(cfg[f'{split}_dataloader'])
    loader.update(num_workers=0, persistent_workers=False)
    return loader


def train_set_loader(cfg: Config) -> Dict[str, Any]:
    """The training images in dataset order through the test pipeline, with no workers (for
    the classical baselines' fits and for training-set checks)."""
    loader = test_dataloader_of(cfg, 'test')
    dataset = cfg.train_dataloader.dataset.to_dict()
    dataset['pipeline'] = loader['dataset']['pipeline']
    loader['dataset'] = dataset
    return loader


def set_max_iters(cfg: Config, max_iters: int) -> None:
    """Set the length of an iteration-based run and stretch what is tied to it.

    Iteration-based schedulers that end at the old length get ``end`` (and a ``T_max`` equal
    to it) set to the new length and their ``milestones`` scaled; schedulers that end earlier
    (warm-ups) stay. A validation or checkpoint interval equal to the old length follows it.
    Setting ``train_cfg.max_iters`` alone would leave e.g. a cosine decay ending at the old
    length, with the learning rate at its minimum for the rest of the run.

    Args:
        cfg (Config): A config with an ``IterBasedTrainLoop`` (modified in place).
        max_iters (int): The new number of iterations (>= 1).
    """
    if max_iters < 1:
        raise ValueError(f'max_iters must be >= 1, got {max_iters}')
    old = int(cfg.train_cfg.max_iters)
    for scheduler in cfg.get('param_scheduler') or []:
        if scheduler.get('by_epoch', True) or scheduler.get('end') != old:
            continue
        scheduler['end'] = max_iters
        if scheduler.get('T_max') == old:
            scheduler['T_max'] = max_iters
        if 'milestones' in scheduler:
            scheduler['milestones'] = [
                max(1, round(m * max_iters / old)) for m in scheduler['milestones']
            ]
    cfg.train_cfg.max_iters = max_iters
    if cfg.train_cfg.get('val_interval') == old:
        cfg.train_cfg.val_interval = max_iters
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint')
    if checkpoint is not None and checkpoint.get('interval') == old:
        checkpoint['interval'] = max_iters
