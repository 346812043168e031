import pytest
import torch
from mmengine.logging import MessageHub

from eianet_mm.engine import StopOnNonFiniteLossHook


class FakeRunner:

    def __init__(self, iteration: int, last_ckpt: str = None) -> None:
        self.iter = iteration
        self.message_hub = MessageHub.get_instance(f'nonfinite-{iteration}-{last_ckpt}')
        if last_ckpt:
            self.message_hub.update_info('last_ckpt', last_ckpt)


def test_finite_losses_pass():
    hook = StopOnNonFiniteLossHook()
    hook.after_train_iter(FakeRunner(3), 0, outputs={'loss': torch.tensor(1.0),
                                                     'loss_ccl': torch.tensor(0.5)})


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_non_finite_loss_stops_with_iteration_and_term(bad):
    hook = StopOnNonFiniteLossHook()
    outputs = {'loss': torch.tensor(bad), 'loss_ccl': torch.tensor(bad),
               'loss_eial': torch.tensor(0.1), 'part_recall': torch.tensor(bad)}
    with pytest.raises(FloatingPointError) as info:
        hook.after_train_iter(FakeRunner(41, 'work_dirs/x/iter_40.pth'), 0, outputs=outputs)
    message = str(info.value)
    assert 'iteration 42' in message
    assert 'loss_ccl=' in message and 'loss_eial' not in message
    assert 'part_recall' not in message  # not a loss term
    assert 'work_dirs/x/iter_40.pth' in message


def test_interval_skips_unchecked_iterations():
    hook = StopOnNonFiniteLossHook(interval=5)
    hook.after_train_iter(FakeRunner(2), 0, outputs={'loss': torch.tensor(float('nan'))})
    with pytest.raises(FloatingPointError):
        hook.after_train_iter(FakeRunner(4), 0, outputs={'loss': torch.tensor(float('nan'))})
