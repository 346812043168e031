"""Distributed launch on machines without CUDA (PyTorch DDP over gloo through mmengine).

mmengine 0.10.7 assumes a GPU in two places of a distributed run: ``init_dist`` calls
``torch.cuda.set_device`` before creating the process group, and ``Runner.wrap_model`` gives
``DistributedDataParallel`` ``device_ids=[LOCAL_RANK]``, which DDP refuses for a CPU model.
:func:`configure_launcher` adapts a config so that the same tools run with gloo on CPU and
leaves it as it is where CUDA is available (nccl).
"""
import datetime
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel


def configure_launcher(cfg: Config) -> None:
    """Prepare ``cfg`` (with ``cfg.launcher`` set) for a run on this machine.

    Without CUDA: the backend becomes gloo; for ``launcher='pytorch'`` (``torchrun``) the
    process group is created here from torchrun's environment, so mmengine skips its own
    CUDA-only initialisation, and the model is wrapped in ``MMDistributedDataParallel``
    without ``device_ids`` (a configured ``model_wrapper_cfg`` keeps its other settings).

    Args:
        cfg (Config): The run's config; changed in place.

    Raises:
        RuntimeError: A launcher other than ``none`` or ``pytorch`` without CUDA.
    """
    if torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    dist_cfg = env_cfg.setdefault('dist_cfg', {})
    dist_cfg['backend'] = 'gloo'
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none':
        return
    if launcher != 'pytorch':
        raise RuntimeError(f'--launcher {launcher} needs CUDA (mmengine selects a GPU per '
                           f'process); without CUDA start the processes with torchrun and '
                           f'--launcher pytorch (tools/dist_train.sh, tools/dist_test.sh)')
    if not torch_dist.is_initialized():
        kwargs = {k: v for k, v in dist_cfg.items() if k != 'backend'}
        if kwargs.get('timeout') is not None:
            kwargs['timeout'] = datetime.timedelta(seconds=kwargs['timeout'])
        torch_dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']),
            **kwargs)
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    if issubclass(MODEL_WRAPPERS.get(wrapper['type']), DistributedDataParallel):
        wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
