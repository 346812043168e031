"""Evaluation: plain functions (``functional``) and mmengine metrics (``metrics``)."""
from .functional import (auc_by_group, draw_vehicleid_gallery, evaluate_rank,
                         evaluate_rank_features, evaluate_vehicleid, paired_distance,
                         paired_fold_difference, pairwise_distance, roc_curve,
                         stratified_folds, tpr_at_fpr, verification_metrics)
from .metrics import ReIDMetric, VerificationMetric

__all__ = [
    'ReIDMetric', 'VerificationMetric', 'auc_by_group', 'draw_vehicleid_gallery', 'evaluate_rank',
    'evaluate_rank_features', 'evaluate_vehicleid', 'paired_distance', 'paired_fold_difference',
    'pairwise_distance', 'roc_curve', 'stratified_folds', 'tpr_at_fpr', 'verification_metrics'
]
