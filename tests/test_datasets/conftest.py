"""Fixtures: tiny datasets in each real layout, and mmdet's registry scope."""
import mmengine.dataset.base_dataset
import pytest
from dataset_layouts import (write_compcars, write_parts, write_vehicleid, write_veri,
                             write_veriwild)
from mmengine.registry import init_default_scope

import eianet_mm  # noqa: F401  (registers the datasets and transforms)


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build transforms such as PackDetInputs from mmdet's registries."""
    init_default_scope('mmdet')


@pytest.fixture(autouse=True)
def no_full_gc(monkeypatch):
    """mmengine's data serialisation runs ``gc.collect()`` (0.4 s with torch loaded) on every
    dataset build; it only frees memory, so the tests skip it."""
    monkeypatch.setattr(mmengine.dataset.base_dataset.gc, 'collect', lambda: 0)


@pytest.fixture
def compcars_root(tmp_path):
    return write_compcars(str(tmp_path / 'compcars'))


@pytest.fixture
def vehicleid_root(tmp_path):
    return write_vehicleid(str(tmp_path / 'vehicleid'))


@pytest.fixture
def veri_root(tmp_path):
    return write_veri(str(tmp_path / 'veri776'))


@pytest.fixture
def veriwild_root(tmp_path):
    return write_veriwild(str(tmp_path / 'veriwild'))


@pytest.fixture
def parts_root(tmp_path):
    return write_parts(str(tmp_path / 'vehicle_parts'))
