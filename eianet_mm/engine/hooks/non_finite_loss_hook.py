"""Stop training with a clear message when a loss becomes NaN or infinite."""
import math
from typing import Dict, Optional, Union

import torch
from mmengine.hooks import Hook
from mmdet.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]


@HOOKS.register_module()
class StopOnNonFiniteLossHook(Hook):
    """Raise ``FloatingPointError`` naming the iteration and the loss terms that went bad.

    Checked every ``interval`` iterations after the optimizer step (mmengine's optimizer
    wrapper has already applied the update by then, so the message also points at the last
    checkpoint to resume from after fixing the cause).

    Args:
        interval (int): Check every ``interval`` training iterations. Defaults to 1.
    """

    priority = 'VERY_HIGH'

    def __init__(self, interval: int = 1) -> None:
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[Dict[str, torch.Tensor]] = None) -> None:
        if not outputs or not self.every_n_train_iters(runner, self.interval):
            return
        values = {
            name: float(value.detach()) if isinstance(value, torch.Tensor) else float(value)
            for name, value in outputs.items() if 'loss' in name
        }
        bad = {name: value for name, value in values.items() if not math.isfinite(value)}
        if bad:
            terms = ', '.join(f'{name}={value}' for name, value in sorted(bad.items()))
            last = runner.message_hub.get_info('last_ckpt')
            hint = f'; the last checkpoint is {last}' if last else ''
            raise FloatingPointError(
                f'non-finite loss at iteration {runner.iter + 1}: {terms}. Lower the learning '
                f'rate or check the data of this batch{hint}.')


