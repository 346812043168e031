"""models.dense_heads."""
from .part_rpn_head import PartRPNHead

__all__ = ['PartRPNHead']
