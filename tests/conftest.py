"""Shared pytest set-up: CPU only, one torch thread per test process (the suite runs with
pytest-xdist on 2 cores), and the repository root on ``sys.path`` for ``tools``."""
import os
import sys

import pytest
import torch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

torch.set_num_threads(1)


@pytest.fixture
def repo_root() -> str:
    """Absolute path of the repository."""
    return REPO_ROOT
