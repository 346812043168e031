"""Evaluation: plain functions (``functional``) and mmengine metrics (``metrics``)."""
from . import functional, metrics  # noqa: F401
