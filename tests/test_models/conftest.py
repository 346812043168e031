"""Model tests: register eianet_mm and build from mmdet's registry scope."""
import pytest
from mmengine.registry import init_default_scope

import eianet_mm  # noqa: F401  (registers the models)


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build mmdet components (ResNet, AnchorGenerator, losses) by name."""
    init_default_scope('mmdet')
