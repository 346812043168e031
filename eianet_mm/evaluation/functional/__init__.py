"""Plain numpy / torch evaluation functions (no other part of the package imported)."""
from .distance import paired_distance, pairwise_distance
from .rank import evaluate_rank, evaluate_rank_features
from .vehicleid import draw_vehicleid_gallery, evaluate_vehicleid
from .verification import (auc_by_group, paired_fold_difference, roc_curve, stratified_folds,
                           tpr_at_fpr, verification_metrics)

__all__ = [
    'auc_by_group', 'draw_vehicleid_gallery', 'evaluate_rank', 'evaluate_rank_features',
    'evaluate_vehicleid', 'paired_distance', 'paired_fold_difference', 'pairwise_distance',
    'roc_curve', 'stratified_folds', 'tpr_at_fpr', 'verification_metrics'
]
