"""Tiny SynthCars datasets shared by the tests of this folder (generated once per session)."""
import pytest

from eianet_mm.datasets.synthcars import SynthCarsConfig, generate


@pytest.fixture(scope='session')
def tiny_cfg() -> SynthCarsConfig:
    return SynthCarsConfig.from_preset('tiny')


@pytest.fixture(scope='session')
def tiny_root(tmp_path_factory, tiny_cfg) -> str:
    """The tiny preset, seed 0, rendered in this process."""
    root = str(tmp_path_factory.mktemp('synthcars_tiny_a'))
    generate(root, tiny_cfg, seed=0, num_workers=1)
    return root
