"""Shared pytest set-up: CPU only, one torch thread and no OpenCV worker threads per test
process (the suite runs with pytest-xdist on 2 cores), and the repository root on
``sys.path`` for ``tools``."""
import os
import sys

import cv2
import pytest
import torch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

torch.set_num_threads(1)
# Without a pool of OpenCV threads in the test process, the processes forked from it (the
# SynthCars render workers, the training runs of tests/test_reliability) can set their own
# thread count; with idle pool threads in the parent, cv2.setNumThreads(1) in a forked child
# deadlocks (it waits on the condition variables of threads the child does not have).
cv2.setNumThreads(0)


@pytest.fixture
def repo_root() -> str:
    """Absolute path of the repository."""
    return REPO_ROOT
