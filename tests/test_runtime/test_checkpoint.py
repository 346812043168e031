"""Checkpoints written by mmengine load again on torch >= 2.6, and only trusted ones unpickle."""
import fractions
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from torch.utils.data import Dataset

import eianet_mm  # noqa: F401
from eianet_mm.utils import is_trusted, load_local_checkpoint


class LinearRegressor(BaseModel):
    """A linear model trained with mean squared error: enough to exercise the Runner."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, x, y=None, mode='tensor'):
        out = self.linear(x).squeeze(1)
        if mode == 'loss':
            return {'loss': ((out - y)**2).mean()}
        return out


class RandomRegression(Dataset):

    def __len__(self) -> int:
        return 32

    def __getitem__(self, i: int) -> dict:
        g = torch.Generator().manual_seed(i)
        x = torch.randn(4, generator=g)
        return dict(x=x, y=x.sum())


def make_runner(work_dir: str, max_iters: int, resume_from: str = None) -> Runner:
    torch.manual_seed(0)  # the model is built here, before the Runner seeds everything
    return Runner(
        model=LinearRegressor(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=RandomRegression(),
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_size=4,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', by_epoch=False, milestones=[5], gamma=0.1),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=4, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        resume=resume_from is not None,
        load_from=resume_from,
        default_scope='mmengine')


def test_resume_reaches_same_weights_as_uninterrupted_run(tmp_path):
    straight = make_runner(str(tmp_path / 'straight'), max_iters=8)
    straight.train()
    expected = {k: v.clone() for k, v in straight.model.state_dict().items()}
    middle = str(tmp_path / 'straight' / 'iter_4.pth')
    assert osp.isfile(middle)

    resumed = make_runner(str(tmp_path / 'resumed'), max_iters=8, resume_from=middle)
    resumed.train()

    assert resumed.iter == 8
    # the learning-rate step at iteration 5 happened after the resume
    assert resumed.optim_wrapper.get_lr()['lr'] == [pytest.approx(0.005)]
    for key, value in resumed.model.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=0, atol=1e-6)


def test_training_checkpoint_loads_with_weights_only(tmp_path):
    runner = make_runner(str(tmp_path), max_iters=4)
    runner.train()
    path = str(tmp_path / 'iter_4.pth')
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path)  # needs the allow-list
    ckpt = load_local_checkpoint(path)
    assert ckpt['meta']['iter'] == 4
    history = ckpt['message_hub']['log_scalars']['train/loss']
    assert history.mean() > 0  # statistics methods restored after loading
    assert set(ckpt['state_dict']) == {'linear.weight', 'linear.bias'}


def test_foreign_checkpoint_needs_explicit_trust(tmp_path, monkeypatch):
    path = str(tmp_path / 'foreign.pth')
    torch.save({'state_dict': {}, 'extra': fractions.Fraction(1, 3)}, path)
    monkeypatch.delenv('EIANET_TRUSTED_CHECKPOINTS', raising=False)
    with pytest.raises(RuntimeError, match='foreign.pth holds Python objects outside'):
        _load_checkpoint(path)
    monkeypatch.setenv('EIANET_TRUSTED_CHECKPOINTS', str(tmp_path))
    with pytest.warns(UserWarning, match='trusted checkpoint'):
        assert _load_checkpoint(path)['extra'] == fractions.Fraction(1, 3)


@pytest.mark.parametrize('content', [b'', b'not a checkpoint', b'PK\x03\x04truncated'])
def test_corrupt_checkpoint_gives_clear_error(tmp_path, content):
    path = tmp_path / 'broken.pth'
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match='broken.pth is corrupt or not a PyTorch checkpoint'):
        _load_checkpoint(str(path))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.pth can not be found'):
        _load_checkpoint(str(tmp_path / 'nothere.pth'))


def test_is_trusted(tmp_path):
    inside = str(tmp_path / 'a' / 'b.pth')
    assert is_trusted(inside, trusted=str(tmp_path))
    assert is_trusted(inside, trusted='1')
    assert not is_trusted(inside, trusted='')
    assert not is_trusted(inside, trusted=str(tmp_path / 'other'))
    # a sibling folder whose name starts with the trusted one is not inside it
    assert not is_trusted(str(tmp_path) + 'x/b.pth', trusted=str(tmp_path))


def test_checkpoint_writes_are_atomic(tmp_path, monkeypatch):
    """A failure while writing the new file leaves the old checkpoint and no temporary file."""
    import os

    from mmengine.fileio.backends import LocalBackend
    from mmengine.runner.checkpoint import save_checkpoint
    path = tmp_path / 'model.pth'
    save_checkpoint({'state_dict': {'w': torch.ones(2)}}, str(path))
    before = path.read_bytes()

    def killed_during_fsync(fd):
        raise KeyboardInterrupt('killed while saving')

    monkeypatch.setattr(os, 'fsync', killed_during_fsync)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'state_dict': {'w': torch.zeros(2)}}, str(path))
    with pytest.raises(KeyboardInterrupt):
        LocalBackend().put(b'new bytes', str(path))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['model.pth']


def test_checkpoint_file_gets_the_umask_mode(tmp_path):
    """The temporary file of an atomic write is 0600; the checkpoint gets 0666 minus the umask."""
    import os
    import stat

    from mmengine.runner.checkpoint import save_checkpoint
    old = os.umask(0o027)
    try:
        save_checkpoint({'state_dict': {'w': torch.ones(2)}}, str(tmp_path / 'a.pth'))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / 'a.pth').stat().st_mode) == 0o640


def test_long_error_messages_are_cut_at_a_word():
    from eianet_mm.utils.checkpoint import _ending
    message = 'unpickler error: ' + ' '.join(f'word{i}' for i in range(100))
    cut = _ending(message, size=40)
    assert cut.startswith('...word') and message.endswith(cut[3:]) and len(cut) <= 43
    assert _ending('short\n message') == 'short message'
