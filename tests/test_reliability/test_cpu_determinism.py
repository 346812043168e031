"""Same seed, same config, CPU: a fresh ``python tools/train.py`` process reproduces the
reference run bit for bit (every logged loss, the final weights, the validation metrics).
The reference was forked from the test process, so the two runs start from different random
generator states and string-hash seeds: only the config's seed makes them agree."""
import subprocess

import torch

from tests.test_reliability.conftest import CKPT_INTERVAL, MAX_ITERS
from tests.test_reliability.tiny_training import (run_results, train_command, train_env,
                                                  write_train_config)


def test_same_seed_same_config_gives_identical_run(tmp_path, synthcars_tiny, reference_run):
    config = write_train_config(str(tmp_path / 'tiny_train.py'), synthcars_tiny,
                                max_iters=MAX_ITERS, ckpt_interval=CKPT_INTERVAL)
    work_dir = str(tmp_path / 'work')
    run = subprocess.run(train_command(config, work_dir), env=train_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]

    weights, records = run_results(work_dir, MAX_ITERS)
    expected_weights, expected_records = reference_run
    assert [r.get('iter') for r in records] == list(range(1, MAX_ITERS + 1)) + [None]
    assert records == expected_records
    assert 0 < records[-1]['verification/year_hard/auc'] < 1
    assert list(weights) == list(expected_weights)
    for name, value in weights.items():
        assert torch.equal(value, expected_weights[name]), name
