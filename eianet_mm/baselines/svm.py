"""Linear SVM on pair features, the "FC feature + SVM" verification baseline of the EIA-Net
paper."""
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from .pair_sampling import balanced_pairs

__all__ = ['PairSVM', 'pair_features']

PAIR_FEATURES = ('absdiff', 'prod', 'absdiff_prod')


def pair_features(X1: np.ndarray, X2: np.ndarray, feature: str = 'absdiff_prod') -> np.ndarray:
    """Symmetric features of row-aligned pairs.

    Args:
        X1 (np.ndarray): First features, ``[M, D]``.
        X2 (np.ndarray): Second features, ``[M, D]``.
        feature (str): ``'absdiff'`` (|x1 - x2|, D dims), ``'prod'`` (x1 * x2, D dims) or
            ``'absdiff_prod'`` (both concatenated, 2D dims). Defaults to 'absdiff_prod'.

    Returns:
        np.ndarray: ``[M, D or 2D]`` float64.
    """
    if feature not in PAIR_FEATURES:
        raise ValueError(f'PairSVM: feature must be one of {PAIR_FEATURES}, got {feature!r}')
    X1 = np.asarray(X1, dtype=np.float64)
    X2 = np.asarray(X2, dtype=np.float64)
    if X1.ndim != 2 or X1.shape != X2.shape:
        raise ValueError(f'PairSVM: X1 and X2 must both be [M, D], got {X1.shape} and '
                         f'{X2.shape}')
    parts = []
    if feature in ('absdiff', 'absdiff_prod'):
        parts.append(np.abs(X1 - X2))
    if feature in ('prod', 'absdiff_prod'):
        parts.append(X1 * X2)
    return np.concatenate(parts, axis=1)


class PairSVM:
    """Same/different classifier: a linear SVM on symmetric pair features.

    :meth:`fit` draws ``max_train_pairs // 2`` same-class pairs and as many
    different-class pairs (with replacement, so a small set repeats pairs) with
    ``np.random.default_rng(seed)``: a same-class pair is a random sample of a class with at
    least two samples and another random sample of its class; a different-class pair is two
    random samples of different classes. The pair features (see :func:`pair_features`) are
    standardised (scikit-learn ``StandardScaler``, fit on the training pairs) and fed to
    scikit-learn's ``LinearSVC`` (squared hinge, L2 penalty, ``C``, primal solver).

    Args:
        feature (str): Pair feature, see :func:`pair_features`. Defaults to
            'absdiff_prod'.
        C (float): SVM regularisation (larger = less). Defaults to 1.0.
        max_train_pairs (int): Training pairs, half same, half different. Defaults to
            20000.
        seed (int): Seed of the pair sampling and of ``LinearSVC``. Defaults to 0.
    """

    def __init__(self,
                 feature: str = 'absdiff_prod',
                 C: float = 1.0,
                 max_train_pairs: int = 20000,
                 seed: int = 0) -> None:
        if feature not in PAIR_FEATURES:
            raise ValueError(f'PairSVM: feature must be one of {PAIR_FEATURES}, got '
                             f'{feature!r}')
        if max_train_pairs < 2:
            raise ValueError(f'PairSVM: max_train_pairs must be >= 2, got {max_train_pairs}')
        self.feature = feature
        self.C = C
        self.max_train_pairs = max_train_pairs
        self.seed = seed

    def sample_pairs(self, y: np.ndarray) -> tuple:
        """Balanced training pairs of the labels ``y``.

        Args:
            y (np.ndarray): Class labels, ``[N]``.

        Returns:
            tuple[np.ndarray, np.ndarray, np.ndarray]: Indices of the first and second
            samples and the pair labels (1 same, 0 different), each ``[2 * (max_train_pairs
            // 2)]``.
        """
        return balanced_pairs(y, self.max_train_pairs, self.seed, owner='PairSVM')

    def fit(self, X: np.ndarray, y: np.ndarray) -> 'PairSVM':
        """Train on balanced pairs drawn from labelled features.

        Args:
            X (np.ndarray): Features, ``[N, D]``.
            y (np.ndarray): Class labels, ``[N]``.

        Returns:
            PairSVM: self, with the fitted pipeline in ``model_``.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or np.shape(y) != (X.shape[0], ):
            raise ValueError(f'PairSVM: X must be [N, D] and y [N], got {X.shape} and '
                             f'{np.shape(y)}')
        first, second, labels = self.sample_pairs(y)
        self.model_ = make_pipeline(
            StandardScaler(),
            # The primal solver: there are many more pairs than features, and the dual
            # (coordinate descent) crawls on non-separable pairs (minutes instead of 1 s).
            LinearSVC(C=self.C, dual=False, random_state=self.seed, max_iter=10000))
        self.model_.fit(pair_features(X[first], X[second], self.feature), labels)
        return self

    def score(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        """SVM decision values of row-aligned pairs.

        Args:
            X1 (np.ndarray): First features, ``[M, D]``.
            X2 (np.ndarray): Second features, ``[M, D]``.

        Returns:
            np.ndarray: ``[M]`` scores, higher = same class.
        """
        if not hasattr(self, 'model_'):
            raise RuntimeError('PairSVM: call fit() before score()')
        return self.model_.decision_function(pair_features(X1, X2, self.feature))
