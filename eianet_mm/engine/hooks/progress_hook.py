"""A compact training progress line for long runs whose mmengine log is turned down."""
import sys
import time
from typing import Dict, Optional, TextIO, Union

import torch
from mmengine.hooks import Hook
from mmdet.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]


@HOOKS.register_module()
class ProgressLineHook(Hook):
    """Print ``[name] iter i/N  loss x  s/it  eta`` every ``interval`` training iterations.

    The main job runs every stage with the runner's ``log_level='WARNING'`` (no config dumps)
    and shows its progress through this hook instead. ``loss`` is the mean of the total loss
    over the iterations since the last line.

    Args:
        name (str): Run name at the start of each line.
        interval (int): Iterations between lines (the last iteration always prints).
            Defaults to 50.
        stream (TextIO, optional): Where to print. Defaults to None (``sys.stdout``).
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, name: str, interval: int = 50, stream: Optional[TextIO] = None) -> None:
        if interval < 1:
            raise ValueError(f'ProgressLineHook: interval must be >= 1, got {interval}')
        self.name = name
        self.interval = interval
        self.stream = stream
        self._losses: list = []
        self._start = 0.0
        self._start_iter = 0

    def before_train(self, runner) -> None:
        self._start = time.perf_counter()
        self._start_iter = runner.iter  # > 0 when resumed

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[Dict[str, torch.Tensor]] = None) -> None:
        if outputs and 'loss' in outputs:
            loss = outputs['loss']
            self._losses.append(float(loss.detach() if isinstance(loss, torch.Tensor) else loss))
        done, total = runner.iter + 1, runner.max_iters
        if done % self.interval and done != total:
            return
        elapsed = time.perf_counter() - self._start
        per_iter = elapsed / max(done - self._start_iter, 1)
        loss = sum(self._losses) / len(self._losses) if self._losses else float('nan')
        self._losses.clear()
        eta = per_iter * (total - done)
        print(f'[{self.name}] iter {done}/{total}  loss {loss:.4f}  {per_iter:.2f} s/it  '
              f'eta {eta / 60:.1f} min', file=self.stream or sys.stdout, flush=True)
