"""Distributed training on CPU: ``tools/dist_train.sh`` (torchrun, ``--launcher pytorch``)
runs 2 processes that train the tiny config for 2 iterations over gloo."""
import json
import os.path as osp
import socket
import subprocess
import sys

import torch

from eianet_mm.utils import load_local_checkpoint
from tests.test_reliability.tiny_training import REPO_ROOT, train_env, write_train_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_two_cpu_processes_train_with_ddp(tmp_path, synthcars_tiny):
    records = tmp_path / 'ranks'
    config = write_train_config(
        str(tmp_path / 'tiny_train.py'), synthcars_tiny, max_iters=2, ckpt_interval=2,
        extra_hooks=[dict(type='RecordRankHook', out_dir=str(records))])
    work_dir = str(tmp_path / 'work')
    run = subprocess.run(
        ['bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), config, '2', '--work-dir',
         work_dir],
        env=train_env(PYTHON=sys.executable, PORT=str(free_port())),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    assert 'Distributed training: True' in run.stdout
    assert "dist_cfg: {'backend': 'gloo'}" in run.stdout

    ranks = []
    for rank in (0, 1):
        with open(records / f'rank{rank}.json') as f:
            ranks.append(json.load(f))
        assert ranks[rank]['rank'] == rank
        assert ranks[rank]['world_size'] == 2
        assert ranks[rank]['iters'] == 2
        assert [len(batch) for batch in ranks[rank]['batches']] == [8, 8]
    # each process drew its own P x K groups ...
    assert ranks[0]['batches'] != ranks[1]['batches']
    # ... and DDP averaged the gradients: both replicas took the same steps, and rank 0
    # saved them
    checkpoint = load_local_checkpoint(osp.join(work_dir, 'iter_2.pth'))
    assert checkpoint['meta']['iter'] == 2
    weights = [torch.load(records / f'rank{rank}.pth') for rank in (0, 1)]
    assert list(weights[0]) == list(checkpoint['state_dict'])
    for name, value in checkpoint['state_dict'].items():
        assert torch.equal(weights[0][name], value), name
        assert torch.equal(weights[1][name], value), name
