"""Losses of EIA-Net, registered into mmdet's MODELS."""
from .coupled_cluster_loss import (CoupledClusterLoss, coupled_cluster_diagnostics,
                                   coupled_cluster_loss, nearest_negative_same_coarse_share)
from .enforced_intra_class_alignment_loss import (EnforcedIntraClassAlignmentLoss,
                                                  enforced_intra_class_alignment_loss,
                                                  part_alignment_ratio)
from .modified_coupled_cluster_loss import ModifiedCoupledClusterLoss
from .part_detector_distill_loss import PartDetectorDistillLoss, part_detector_distill_loss

__all__ = [
    'CoupledClusterLoss', 'EnforcedIntraClassAlignmentLoss', 'ModifiedCoupledClusterLoss',
    'PartDetectorDistillLoss', 'coupled_cluster_diagnostics', 'coupled_cluster_loss',
    'enforced_intra_class_alignment_loss',
    'nearest_negative_same_coarse_share', 'part_alignment_ratio', 'part_detector_distill_loss'
]
