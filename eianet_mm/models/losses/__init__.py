"""Metric-learning losses of EIA-Net, registered into mmdet's MODELS."""
from .coupled_cluster_loss import CoupledClusterLoss, coupled_cluster_loss
from .enforced_intra_class_alignment_loss import (EnforcedIntraClassAlignmentLoss,
                                                  enforced_intra_class_alignment_loss)
from .modified_coupled_cluster_loss import ModifiedCoupledClusterLoss

__all__ = [
    'CoupledClusterLoss', 'EnforcedIntraClassAlignmentLoss', 'ModifiedCoupledClusterLoss',
    'coupled_cluster_loss', 'enforced_intra_class_alignment_loss'
]
