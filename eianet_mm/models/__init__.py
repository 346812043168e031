"""EIA-Net model components, registered into mmdet's MODELS."""
from . import backbones, dense_heads, detectors, heads, losses, necks  # noqa: F401
