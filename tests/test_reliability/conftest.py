"""The tiny SynthCars set and the uninterrupted reference run the tests of this folder share."""
import fcntl
import os
import shutil
from typing import Dict, List, Tuple

import pytest
import torch

from eianet_mm.datasets.synthcars import SynthCarsConfig, generate
from tests.test_reliability.tiny_training import (fork_train, join_train, run_results,
                                                  write_train_config)

MAX_ITERS = 8
CKPT_INTERVAL = 3


@pytest.fixture(scope='session')
def synthcars_tiny(tmp_path_factory) -> str:
    """SynthCars' 'tiny' preset, seed 0 (a fraction of a second)."""
    root = str(tmp_path_factory.mktemp('synthcars_tiny_reliability'))
    generate(root, SynthCarsConfig.from_preset('tiny'), seed=0, num_workers=1)
    return root


@pytest.fixture(scope='session')
def reference_run(tmp_path_factory,
                  synthcars_tiny) -> Tuple[Dict[str, torch.Tensor], List[dict]]:
    """Weights and logged scalars of an uninterrupted run of the tiny config (seed 0,
    ``MAX_ITERS`` iterations, a checkpoint every ``CKPT_INTERVAL``): ``tools/train.py`` in a
    forked child of the test process. Under pytest-xdist the workers of one session share
    it (the first to need it trains it, under a file lock)."""
    if os.environ.get('PYTEST_XDIST_WORKER'):
        folder = tmp_path_factory.getbasetemp().parent / 'reliability_reference_run'
        folder.mkdir(exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp('reliability_reference_run')
    work_dir = str(folder / 'work')
    with open(folder / 'lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / 'done').exists():
            shutil.rmtree(work_dir, ignore_errors=True)
            config = write_train_config(str(folder / 'tiny_train.py'), synthcars_tiny,
                                        max_iters=MAX_ITERS, ckpt_interval=CKPT_INTERVAL)
            log = str(folder / 'train.log')
            join_train(fork_train([config, '--work-dir', work_dir], log), log)
            (folder / 'done').touch()
    return run_results(work_dir, MAX_ITERS)
