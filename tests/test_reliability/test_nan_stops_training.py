"""A real training run whose loss becomes NaN stops at once with a message naming the
iteration, the bad terms and the checkpoint to resume from; no NaN weights are saved."""
import os
import os.path as osp

from tests.test_reliability.tiny_training import fork_train, write_train_config


def test_nan_loss_stops_the_run_naming_the_iteration(tmp_path, synthcars_tiny):
    config = write_train_config(str(tmp_path / 'tiny_train.py'), synthcars_tiny, max_iters=8,
                                ckpt_interval=1)
    work_dir = str(tmp_path / 'work')
    log = str(tmp_path / 'train.log')
    # a learning rate of 1e37 in the first step (warm-up x 0.1), no gradient clipping: the
    # weights overflow and the losses of iteration 2 are NaN
    proc = fork_train([config, '--work-dir', work_dir, '--cfg-options',
                       'optim_wrapper.optimizer.lr=1e38', 'optim_wrapper.clip_grad=None'], log)
    proc.join(300)
    if proc.is_alive():
        proc.kill()
        proc.join()
    with open(log) as f:
        text = f.read()
    assert proc.exitcode == 1, text[-3000:]
    last = osp.join(work_dir, 'iter_1.pth')
    assert (f'FloatingPointError: non-finite loss at iteration 2: loss=nan, loss_align=nan, '
            f'loss_cls=nan, loss_embed=nan, loss_global=nan, loss_part_distill=nan, '
            f'loss_rmac=nan. Lower the '
            f'learning rate or check the data of this batch; the last checkpoint is '
            f'{last}.') in text
    assert sorted(n for n in os.listdir(work_dir) if n.endswith('.pth')) == ['iter_1.pth']
