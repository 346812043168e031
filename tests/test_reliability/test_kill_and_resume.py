"""A training run killed with SIGKILL in the middle of saving a checkpoint resumes with
``tools/train.py --resume`` and ends with exactly the weights and metrics of an uninterrupted
run; the kill leaves no half-written checkpoint behind."""
import json
import os
import os.path as osp
import signal
import time

import torch

from eianet_mm.utils import load_local_checkpoint
from tests.test_reliability.conftest import CKPT_INTERVAL, MAX_ITERS
from tests.test_reliability.tiny_training import (fork_train, join_train, run_results,
                                                  write_train_config)


def test_sigkill_while_saving_then_resume_matches_uninterrupted_run(
        tmp_path, synthcars_tiny, reference_run):
    config = write_train_config(str(tmp_path / 'tiny_train.py'), synthcars_tiny,
                                max_iters=MAX_ITERS, ckpt_interval=CKPT_INTERVAL)
    work_dir = str(tmp_path / 'work')
    marker = str(tmp_path / 'paused.json')
    log = str(tmp_path / 'killed.log')
    # killed while saving the checkpoint of iteration 6: the file is complete under its
    # temporary name and about to be renamed
    proc = fork_train([config, '--work-dir', work_dir], log,
                      pause_before_rename=('iter_6.pth', marker))
    deadline = time.monotonic() + 300
    while not osp.exists(marker) and proc.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    with open(log) as f:
        assert osp.exists(marker), f'the run ended before the kill point:\n{f.read()[-3000:]}'
    assert proc.exitcode == -signal.SIGKILL
    with open(marker) as f:
        temporary = json.load(f)['src']
    assert osp.dirname(temporary) == work_dir
    assert osp.basename(temporary).startswith('.iter_6.pth.')

    # no half-written checkpoint: the checkpoint files present are complete, the last one
    # recorded is that of iteration 3, the unfinished one exists only under its hidden name
    left = sorted(os.listdir(work_dir))
    assert [n for n in left if n.endswith('.pth')] == ['iter_3.pth']
    assert [n for n in left if n.startswith('.')] == [osp.basename(temporary)]
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == osp.join(work_dir, 'iter_3.pth')
    assert load_local_checkpoint(osp.join(work_dir, 'iter_3.pth'))['meta']['iter'] == 3

    log = str(tmp_path / 'resumed.log')
    join_train(fork_train([config, '--work-dir', work_dir, '--resume'], log), log)
    with open(log) as f:
        assert f'Auto resumed from the latest checkpoint {work_dir}/iter_3.pth' in f.read()

    weights, records = run_results(work_dir, MAX_ITERS)
    expected_weights, expected_records = reference_run
    assert list(weights) == list(expected_weights)
    for name, value in weights.items():
        assert torch.equal(value, expected_weights[name]), name
    # the killed run logged iterations 1-6, the resumed one 4-8 and the validation metrics
    assert [r.get('iter') for r in records] == [1, 2, 3, 4, 5, 6, 4, 5, 6, 7, 8, None]
    assert records[:6] == expected_records[:6]
    assert records[6:] == expected_records[3:]
    assert 'verification/year_hard/auc' in records[-1]
    for it in (6, 8):  # saved again, complete, by the resumed run
        assert load_local_checkpoint(osp.join(work_dir, f'iter_{it}.pth'))['meta']['iter'] == it
