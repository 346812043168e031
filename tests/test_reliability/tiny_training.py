"""A tiny stage-2 EIA-Net training run (SynthCars 'tiny', 64 x 64, CPU, seconds) driven
through ``tools/train.py``, shared by the tests of this folder.

``write_train_config`` writes the config; ``train_command`` / ``train_env`` build the command
line and environment of a fresh ``tools/train.py`` process, ``fork_train`` runs
``tools/train.py`` in a forked child of the test process (no import time); ``run_results``
reads what a run left in its work dir.
"""
import glob
import json
import multiprocessing
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Tuple

import torch
# torch imports its compiler stack when the first optimizer is built; importing it here,
# once, spares each forked training run the seconds it takes
import torch._dynamo  # noqa: F401

from eianet_mm.utils import load_local_checkpoint
from tools.train import main as train_main

HERE = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(osp.dirname(HERE))
TRAIN_PY = osp.join(REPO_ROOT, 'tools', 'train.py')

CONFIG_TEXT = '''
_base_ = [{base!r}]
custom_imports = dict(imports={imports!r}, allow_failed_imports=False)
img_scale = (64, 64)
train_pipeline = [
    dict(type='LoadVehicleImage', skip_bad=False),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=_base_.meta_keys),
]
test_pipeline = [
    dict(type='LoadVehicleImage'),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackDetInputs', meta_keys=_base_.meta_keys),
]
# the tiny preset has 4 training classes: P x K = 2 x 4
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(num_ids=2, num_instances=4),
    dataset=dict(data_root={data_root!r}, pipeline=train_pipeline))
# one pair file keeps the config short (mmengine formats the config, with yapf, for the log
# and for every checkpoint: seconds per call for long configs)
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root={data_root!r}, pipeline=test_pipeline,
                 pair_files=dict(_delete_=True, year_hard=_base_.split_dir
                                 + 'verification_pairs_year_hard.txt')))
test_dataloader = None
test_cfg = None
test_evaluator = None
model = dict(
    backbone=dict(base_channels=8),
    rpn_head=dict(in_channels=32, feat_channels=8,
                  anchor_generator=dict(scales=[2, 4], ratios=[1.0])),
    global_branch=dict(in_channels=32, shared_channels=8, body_channels=(8, 8),
                       half_channels=(8, 8), fc_channels=8),
    # the co-detected distance names the R-MAC layout: 7 parts x 8 channels here
    metric_head=dict(loss_rmac=dict(distance='codetected:7x8'),
                     loss_embed=dict(distance='codetected:7x8')))
val_evaluator = dict(metric='codetected:7x8')
max_iters = {max_iters}
# validation once, at the end
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=3),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[5],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(
    _delete_=True, type='SGD', lr=0.05, momentum=0.9, weight_decay=2e-4))
load_from = None
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval={ckpt_interval}, by_epoch=False,
                    max_keep_ckpts=-1))
log_processor = dict(window_size=1)
randomness = dict(seed={seed})  # deterministic=False (the runtime's default)
custom_hooks = _base_.custom_hooks + {extra_hooks!r}
'''


def write_train_config(path: str,
                       data_root: str,
                       max_iters: int = 8,
                       ckpt_interval: int = 4,
                       seed: int = 0,
                       extra_hooks: Optional[List[dict]] = None) -> str:
    """Write the tiny training config to ``path``.

    Args:
        path (str): Where to write it.
        data_root (str): Root of a generated SynthCars set (the folder holding ``compcars/``).
        max_iters (int): Training iterations. Defaults to 8.
        ckpt_interval (int): Save a checkpoint every this many iterations. Defaults to 4.
        seed (int): ``randomness.seed``. Defaults to 0.
        extra_hooks (list[dict], optional): Hooks of ``reliability_hooks.py`` added to the
            run (the module is then imported; :func:`train_env` makes it importable).
    """
    with open(path, 'w') as f:
        f.write(CONFIG_TEXT.format(
            base=osp.join(REPO_ROOT, 'configs', 'eianet_r18_synthcars.py'),
            imports=['eianet_mm'] + (['reliability_hooks'] if extra_hooks else []),
            data_root=osp.join(data_root, 'compcars') + '/',
            max_iters=max_iters, ckpt_interval=ckpt_interval, seed=seed,
            extra_hooks=list(extra_hooks or [])))
    return path


def train_env(**extra: str) -> Dict[str, str]:
    """Environment of a training subprocess: one thread, this folder importable."""
    env = dict(os.environ)
    env.pop('EIANET_TRUSTED_CHECKPOINTS', None)
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='',
               PYTHONPATH=os.pathsep.join([HERE, REPO_ROOT, env.get('PYTHONPATH', '')]))
    env.update(extra)
    return env


def train_command(config: str, work_dir: str, *options: str) -> List[str]:
    """``python tools/train.py CONFIG --work-dir WORK_DIR OPTIONS...``."""
    return [sys.executable, TRAIN_PY, config, '--work-dir', work_dir, *options]


def _train_child(argv: List[str], log_path: str, pause: Optional[Tuple[str, str]]) -> None:
    """Body of a forked training process: output to ``log_path``, optionally the kill point
    of :func:`fork_train`, then ``tools/train.py``'s ``main``."""
    # CPU only, as in the fresh processes (train_env): a forked child cannot use CUDA once
    # the parent has initialised it, and the runs compared must run on the same device
    os.environ['CUDA_VISIBLE_DEVICES'] = ''
    torch.cuda.is_available = lambda: False
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = sys.stderr = open(1, 'w', buffering=1, closefd=False)
    if pause is not None:
        target, marker = pause
        replace = os.replace

        def paused_replace(src, dst, **kwargs):
            if osp.basename(str(dst)) == target:
                with open(marker + '.part', 'w') as f:
                    json.dump(dict(pid=os.getpid(), src=str(src)), f)
                os.rename(marker + '.part', marker)
                time.sleep(600)
            return replace(src, dst, **kwargs)

        os.replace = paused_replace
    sys.argv = [TRAIN_PY, *argv]
    train_main()


def fork_train(argv: List[str],
               log_path: str,
               pause_before_rename: Optional[Tuple[str, str]] = None
               ) -> multiprocessing.Process:
    """Start ``tools/train.py ARGV`` in a forked child of this process.

    The child inherits this process' imports, so it trains at once instead of spending
    10-20 s importing torch, mmdet and eianet_mm as a fresh interpreter does. Forking a test
    process is safe because it runs torch on one thread and OpenCV without worker threads
    (tests/conftest.py); the child trains on the CPU.

    Args:
        argv (list[str]): The command-line arguments of ``tools/train.py``.
        log_path (str): File receiving the child's stdout and stderr.
        pause_before_rename (tuple[str, str], optional): ``(file name, marker path)``: when
            the run is about to rename a file onto that name (the atomic write of a
            checkpoint: the new file is complete under its temporary name), it writes the
            marker (JSON: ``pid``, the temporary ``src``) and sleeps, waiting to be killed.
    """
    proc = multiprocessing.get_context('fork').Process(
        target=_train_child, args=(list(argv), log_path, pause_before_rename))
    proc.start()
    return proc


def join_train(proc: multiprocessing.Process, log_path: str, timeout: float = 300) -> None:
    """Wait for a run of :func:`fork_train` and check that it succeeded (its log's end is
    the failure message); a run still going after ``timeout`` seconds is killed."""
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
    with open(log_path) as f:
        assert proc.exitcode == 0, f'exit status {proc.exitcode}:\n{f.read()[-3000:]}'


def run_results(work_dir: str, max_iters: int) -> Tuple[Dict[str, torch.Tensor], List[dict]]:
    """The weights of the run's last checkpoint and its logged scalars.

    Returns:
        tuple: ``state_dict`` of ``iter_<max_iters>.pth`` and the records of every
        ``vis_data/scalars.json`` in the work dir (runs in time order), without the timings.
    """
    ckpt = load_local_checkpoint(osp.join(work_dir, f'iter_{max_iters}.pth'))
    assert ckpt['meta']['iter'] == max_iters
    records = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                records.append({k: v for k, v in record.items()
                                if k not in ('time', 'data_time', 'eta')})
    return ckpt['state_dict'], records
