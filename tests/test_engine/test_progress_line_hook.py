"""ProgressLineHook: one line every ``interval`` iterations and at the end, mean loss."""
import io
import re
from types import SimpleNamespace

import pytest
import torch

from eianet_mm.engine.hooks import ProgressLineHook


def run_hook(hook, losses, max_iters, start_iter=0):
    runner = SimpleNamespace(iter=start_iter, max_iters=max_iters)
    hook.before_train(runner)
    for i, loss in enumerate(losses, start=start_iter):
        runner.iter = i
        hook.after_train_iter(runner, i, outputs=dict(loss=torch.tensor(loss)))


def test_lines_every_interval_and_at_the_end_with_the_mean_loss():
    stream = io.StringIO()
    run_hook(ProgressLineHook('eianet', interval=2, stream=stream), [1.0, 3.0, 5.0, 6.0, 7.0],
             max_iters=5)
    lines = stream.getvalue().splitlines()
    assert [re.match(r'\[eianet\] iter (\d+)/5  loss ([\d.]+)', line).groups()
            for line in lines] == [('2', '2.0000'), ('4', '5.5000'), ('5', '7.0000')]
    assert all(re.search(r'[\d.]+ s/it  eta [\d.]+ min$', line) for line in lines)


def test_resumed_run_counts_from_its_start():
    stream = io.StringIO()
    run_hook(ProgressLineHook('x', interval=10, stream=stream), [1.0] * 4, max_iters=10,
             start_iter=6)
    assert stream.getvalue().startswith('[x] iter 10/10  loss 1.0000')


def test_bad_interval():
    with pytest.raises(ValueError, match='interval must be >= 1, got 0'):
        ProgressLineHook('x', interval=0)
