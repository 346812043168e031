"""configure_launcher: what tools/train.py and tools/test.py change for a run without CUDA
(the 2-process run itself is tested in test_ddp_cpu.py)."""
import datetime

import pytest
import torch
from mmengine.config import Config

from eianet_mm.utils import launch


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)


def test_single_process_gets_gloo_and_no_wrapper(no_cuda):
    cfg = Config(dict(launcher='none', env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    launch.configure_launcher(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert 'model_wrapper_cfg' not in cfg


@pytest.mark.parametrize('launcher', ['slurm', 'mpi'])
def test_gpu_only_launchers_are_refused(no_cuda, launcher):
    cfg = Config(dict(launcher=launcher))
    with pytest.raises(RuntimeError, match=f'--launcher {launcher} needs CUDA .* torchrun and '
                       '--launcher pytorch'):
        launch.configure_launcher(cfg)


class FakeDist:
    """Stands for torch.distributed in ``launch``: records the process group it creates."""

    def __init__(self) -> None:
        self.groups = []

    def is_initialized(self) -> bool:
        return bool(self.groups)

    def init_process_group(self, **kwargs) -> None:
        self.groups.append(kwargs)


def test_pytorch_launcher_creates_gloo_group_and_wraps_without_device_ids(
        no_cuda, monkeypatch):
    fake = FakeDist()
    monkeypatch.setattr(launch, 'torch_dist', fake)
    monkeypatch.setenv('RANK', '1')
    monkeypatch.setenv('WORLD_SIZE', '2')
    cfg = Config(dict(launcher='pytorch', find_unused_parameters=True,
                      env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60))))
    launch.configure_launcher(cfg)
    assert fake.groups == [dict(backend='gloo', rank=1, world_size=2,
                                timeout=datetime.timedelta(seconds=60))]
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel',
                                         broadcast_buffers=False, find_unused_parameters=True,
                                         device_ids=None)
    # a configured wrapper keeps its settings
    cfg = Config(dict(launcher='pytorch',
                      model_wrapper_cfg=dict(type='MMDistributedDataParallel',
                                             find_unused_parameters=True)))
    launch.configure_launcher(cfg)
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel',
                                         find_unused_parameters=True, device_ids=None)
    assert len(fake.groups) == 1  # created once


def test_cuda_machine_is_left_alone(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = Config(dict(launcher='pytorch', env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    launch.configure_launcher(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'nccl' and 'model_wrapper_cfg' not in cfg
