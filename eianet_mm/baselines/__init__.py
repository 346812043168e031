"""Classical verification baselines of the paper, in plain numpy / scikit-learn."""
from .joint_bayesian import JointBayesian
from .svm import PairSVM, pair_features

__all__ = ['JointBayesian', 'PairSVM', 'pair_features']
