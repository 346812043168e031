"""Stage-2 training speed on SynthCars and the data loader's share of it.

Runs ``configs/eianet_r18_synthcars.py`` (stage 2: frozen part detector, CR-MAC, the metric
losses; the config's P x K images per batch) through mmengine's ``Runner`` for a few dozen
iterations from random weights (no checkpoint, no validation, no checkpoint saving) with the
config's train data loader. A hook of the lowest priority times each iteration:

- *data*: from the end of one iteration to the start of the next, i.e. waiting for the next
  batch from the loader (mmengine's ``data_time``);
- *compute*: the iteration itself (forward, backward, optimizer step, hooks).

The first iterations (worker start-up, first-call costs) are not counted. Target: the loader
is not the bottleneck, i.e. waiting for data takes at most 10% of the time. The loader alone
(the same settings, no model) is timed too: the batches/s it can supply.

SynthCars comes from ``--root``, else ``data/synthcars_seed7`` when it exists, else the demo
preset is generated into a temporary folder (seed 0, a few seconds). Prints one final JSON
line.

Usage::

    python benchmarks/bench_train.py            # 60 timed iterations (~1 min)
    python benchmarks/bench_train.py --quick    # 10 timed iterations
    python benchmarks/bench_train.py --workers 0 --iters 30   # other loader settings
    python benchmarks/bench_train.py --threads 1   # one torch thread (steadier when shared)
"""
import argparse
import json
import os
import os.path as osp
import statistics
import tempfile
import time
from typing import List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

from eianet_mm.datasets.synthcars import SynthCarsConfig, generate
from eianet_mm.utils.config import read_config
from machine import cpu_name  # benchmarks/machine.py (the script's folder)

CONFIG = 'configs/eianet_r18_synthcars.py'
DEFAULT_ROOT = 'data/synthcars_seed7'
TARGET_DATA_SHARE = 0.10


class IterTiming(Hook):
    """Wall time waiting for each batch and of each iteration (lowest priority: the data
    interval ends after every other hook's ``before_train_iter`` work, starts after every
    ``after_train_iter``)."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.data: List[float] = []
        self.compute: List[float] = []
        self._last = self._start = 0.0

    def before_train(self, runner) -> None:
        self._last = time.perf_counter()

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self._start = time.perf_counter()
        self.data.append(self._start - self._last)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self._last = time.perf_counter()
        self.compute.append(self._last - self._start)



def build_runner(root: str, work_dir: str, max_iters: int, workers: Optional[int],
                 seed: int) -> Runner:
    """The SynthCars stage-2 runner, training only, reading ``root``."""
    cfg = read_config(CONFIG)
    cfg.work_dir = work_dir
    cfg.load_from = None
    cfg.log_level = 'WARNING'
    cfg.randomness = dict(seed=seed)
    cfg.train_dataloader.dataset.data_root = osp.join(root, 'compcars') + '/'
    if workers is not None:
        cfg.train_dataloader.num_workers = workers
        cfg.train_dataloader.persistent_workers = workers > 0
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                         val_interval=max_iters + 1)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = max_iters + 1
    return Runner.from_cfg(cfg)


def time_loader(runner: Runner, batches: int) -> float:
    """Batches/s of the runner's train data loader alone (after its first batch)."""
    iterator = iter(runner.train_dataloader)
    next(iterator)
    t0 = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='10 timed iterations')
    parser.add_argument('--iters', type=int, help='timed iterations (default 60; quick 10)')
    parser.add_argument('--warmup', type=int,
                        help='first iterations not counted (default 5; quick 3)')
    parser.add_argument('--root', help='an existing SynthCars folder (default: '
                        f'{DEFAULT_ROOT} when it exists, else generate the demo preset)')
    parser.add_argument('--workers', type=int,
                        help="loader worker processes (default: the config's)")
    parser.add_argument('--threads', type=int, help="torch threads (default: torch's)")
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    iters = args.iters or (10 if args.quick else 60)
    warmup = args.warmup if args.warmup is not None else (3 if args.quick else 5)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or (DEFAULT_ROOT if osp.isdir(osp.join(DEFAULT_ROOT, 'compcars'))
                             else None)
        generated = root is None
        if generated:
            root = osp.join(tmp, 'synthcars')
            generate(root, SynthCarsConfig.from_preset('demo'), seed=0,
                     num_workers=min(2, os.cpu_count() or 1))
        elif not osp.isdir(osp.join(root, 'compcars')):
            raise FileNotFoundError(f'{root}: not a SynthCars folder (no compcars/ inside)')
        runner = build_runner(root, osp.join(tmp, 'work'), warmup + iters, args.workers,
                              args.seed)
        timing = IterTiming()
        runner.register_hook(timing)
        loader_cfg = runner.cfg.train_dataloader
        print(f'machine: {cpu_name()}, {os.cpu_count()} CPUs, torch threads '
              f'{torch.get_num_threads()}, torch {torch.__version__}, load average '
              f'{os.getloadavg()[0]:.2f}')
        print(f'{CONFIG} stage 2 on {"generated demo SynthCars" if generated else root}: '
              f'batch {loader_cfg.batch_size}, {loader_cfg.num_workers} loader workers '
              f'(persistent {loader_cfg.get("persistent_workers", False)}), {warmup} + '
              f'{iters} iterations')
        t0 = time.perf_counter()
        runner.train()
        train_s = time.perf_counter() - t0
        loader_batches_s = time_loader(runner, min(iters, 20))
    data = timing.data[warmup:]
    compute = timing.compute[warmup:]
    total = sum(data) + sum(compute)
    share = sum(data) / total
    its = len(data) / total
    result = dict(
        bench='train', quick=args.quick, config=CONFIG, machine=cpu_name(),
        cpus=os.cpu_count(), torch_threads=torch.get_num_threads(), torch=torch.__version__,
        dataset='generated demo' if generated else root, batch=loader_cfg.batch_size,
        workers=loader_cfg.num_workers,
        persistent_workers=bool(loader_cfg.get('persistent_workers', False)),
        warmup=warmup, iters=iters, iters_per_s=round(its, 3),
        images_per_s=round(its * loader_cfg.batch_size, 2),
        median_iter_s=round(statistics.median(d + c for d, c in zip(data, compute)), 4),
        data_share=round(share, 4), median_data_s=round(statistics.median(data), 4),
        max_data_s=round(max(data), 4), loader_alone_batches_per_s=round(loader_batches_s, 2),
        run_s=round(train_s, 1), load_average_after=round(os.getloadavg()[0], 2),
        targets={f'data_share_le_{TARGET_DATA_SHARE}': share <= TARGET_DATA_SHARE})
    print(f'  {its:.2f} iterations/s ({result["images_per_s"]:.1f} images/s), median iteration '
          f'{result["median_iter_s"]:.3f} s; waiting for data {100 * share:.1f}% of the time '
          f'(median {result["median_data_s"] * 1000:.1f} ms, max '
          f'{result["max_data_s"] * 1000:.1f} ms; target <= {100 * TARGET_DATA_SHARE:.0f}%)')
    print(f'  the loader alone supplies {loader_batches_s:.1f} batches/s '
          f'({loader_batches_s / its:.1f}x what training consumes)')
    print(json.dumps(result))


if __name__ == '__main__':
    main()
