"""A hook the distributed training processes of tests/test_reliability import
(``custom_imports``): ``RecordRankHook`` writes what each process did."""
import json
import os
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS


@HOOKS.register_module()
class RecordRankHook(Hook):
    """Write ``<out_dir>/rank<r>.json`` (rank, world size, the ``img_id`` of every sample
    each iteration trained on) and ``<out_dir>/rank<r>.pth`` (the final weights).

    Args:
        out_dir (str): Folder of the records.
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.batches = []

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        samples: Sequence = data_batch['data_samples']
        self.batches.append([s.metainfo['img_id'] for s in samples])

    def after_run(self, runner) -> None:
        rank, world_size = get_dist_info()
        os.makedirs(self.out_dir, exist_ok=True)
        with open(osp.join(self.out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(dict(rank=rank, world_size=world_size, iters=runner.iter,
                           batches=self.batches), f)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        torch.save(model.state_dict(), osp.join(self.out_dir, f'rank{rank}.pth'))
