"""EIA-Net for vehicle model verification and re-identification, on mmdet 3.x.

Importing the package registers every module into mmdet's registries.
"""
from . import datasets, engine, evaluation, models, utils  # noqa: F401  (registration)
from .version import __version__

__all__ = ['__version__']
