"""Pair classifiers fitted on a network's training-set features, in plain numpy /
scikit-learn: the paper's classical verification baselines (SVM, Joint Bayesian) and
EIA-Net's learned part weighting (:class:`PartPairScorer`, not in the paper)."""
from .joint_bayesian import JointBayesian
from .pair_sampling import balanced_pairs
from .part_pair_scorer import PartPairScorer, fit_verification_scorers
from .svm import PairSVM, pair_features

__all__ = [
    'JointBayesian', 'PairSVM', 'PartPairScorer', 'balanced_pairs', 'fit_verification_scorers',
    'pair_features'
]
