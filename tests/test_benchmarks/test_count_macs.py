"""benchmarks/bench_extract.count_macs against a hand count."""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'benchmarks'))
from bench_extract import count_macs  # noqa: E402


def test_counts_called_convolutions_and_linear_layers_once_per_call():
    conv = torch.nn.Conv2d(3, 8, 3, padding=1)
    grouped = torch.nn.Conv2d(8, 4, (1, 3), padding=(0, 1), groups=2)
    unused = torch.nn.Linear(5, 5)
    linear = torch.nn.Linear(4 * 6 * 5, 7)
    model = torch.nn.ModuleList([conv, grouped, unused, linear])

    batch = 2
    images = torch.zeros(batch, 3, 6, 5)

    def run():
        x = grouped(conv(images))
        return linear(x.flatten(1)) + linear(x.flatten(1))  # linear called twice

    macs = count_macs(model, run)
    expected = (batch * 8 * 6 * 5 * 3 * 3 * 3  # conv
                + batch * 4 * 6 * 5 * 4 * 1 * 3  # grouped: 4 input channels per group
                + 2 * batch * 7 * 120)  # linear, twice
    assert macs == expected
    assert not conv._forward_hooks and not linear._forward_hooks  # hooks removed
