"""Ramp the metric losses in over the first iterations of stage 2."""
from typing import Optional, Union

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmdet.registry import HOOKS

DATA_BATCH = Optional[Union[dict, tuple, list]]


@HOOKS.register_module()
class MetricLossWarmupHook(Hook):
    """Scale the metric head's metric losses linearly from 0 to 1 over ``warmup_iters``.

    Before each training iteration ``i`` it sets ``model.metric_head.metric_loss_scale`` to
    ``min(1, i / warmup_iters)``; :class:`~eianet_mm.models.MetricHead` multiplies the CCL /
    MCCL / EIAL terms by it (the classification loss keeps its weight). Not in the paper and
    off in every config: with the paper's losses at full weight from the first iteration, the
    SynthCars networks can sit for hundreds of iterations at the collapsed value of CCL; on
    one seed ramping them in removed that plateau, on another it did not, as the softmax alone
    stalled there too (docs/synthcars_learning.md, sections 6 and 7).

    Args:
        warmup_iters (int): Iterations until the metric losses reach full weight (> 0).
    """

    priority = 'NORMAL'

    def __init__(self, warmup_iters: int = 200) -> None:
        if not isinstance(warmup_iters, int) or warmup_iters <= 0:
            raise ValueError(f'MetricLossWarmupHook: warmup_iters must be a positive '
                             f'integer, got {warmup_iters!r}')
        self.warmup_iters = warmup_iters

    @staticmethod
    def _metric_head(runner):
        """The ``metric_head`` of the runner's (unwrapped) model."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(model, 'metric_head', None)
        if head is None or not hasattr(head, 'metric_loss_scale'):
            raise TypeError(f'MetricLossWarmupHook needs a model with a metric_head that has '
                            f'metric_loss_scale (a MetricHead); got {type(model).__name__}')
        return head

    def before_train_iter(self, runner, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._metric_head(runner).metric_loss_scale = min(1.0, runner.iter / self.warmup_iters)

    def after_train(self, runner) -> None:
        """Leave the head at full weight (a later ``val``/``loss`` call sees the paper's)."""
        self._metric_head(runner).metric_loss_scale = 1.0
