"""A learned weighting of the parts for verification (not in the paper): logistic regression
on the per-part distances of the parts two images share.

The co-detected distance (``'codetected:NxK'``) counts every part seen in both images
equally. A verification level, though, is decided by some parts only: two model years of one
vehicle model differ in the parts a facelift redesigns (on SynthCars head light, tail light
and wheel), and the other parts, shared by the two years, add only noise (viewpoint, paint,
lighting) to a year-level distance. The scorer learns from pairs of training images how much
each part's distance tells "same" from "different" at one level.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

from ..evaluation.functional.distance import codetected_layout, prepare_features
from .pair_sampling import balanced_pairs

__all__ = ['PartPairScorer', 'fit_verification_scorers']


class PartPairScorer:
    """Same / different classifier on the per-part distances of ``'codetected:NxK'``
    embeddings.

    A pair's features (``2 N + 1`` values) are, for every part ``j``: ``c_j * d_j`` and
    ``c_j``, where ``c_j`` is 1 when the part is detected in both images (its R-MAC vector is
    not all zeros) and ``d_j`` the squared distance of the two L2-normalised part vectors
    (0..4); and the squared distance of the L2-normalised global vectors. The score is the
    log-odds of scikit-learn's ``LogisticRegression`` (L2 penalty ``C``) fitted on
    :func:`~eianet_mm.baselines.pair_sampling.balanced_pairs` of the training features: per
    part, a weight of its distance and an offset for its being shared.

    Args:
        metric (str): The model's ``'codetected:NxK'`` distance (gives the part layout).
        C (float): Inverse regularisation strength. Defaults to 1.0.
        max_train_pairs (int): Training pairs, half same, half different. Defaults to 20000.
        seed (int): Seed of the pair sampling. Defaults to 0.
        part_names (Sequence[str], optional): Names of the N parts, for :meth:`weights`.
            Defaults to None (``part0`` ...).
    """

    def __init__(self,
                 metric: str,
                 C: float = 1.0,
                 max_train_pairs: int = 20000,
                 seed: int = 0,
                 part_names: Optional[Sequence[str]] = None) -> None:
        layout = codetected_layout(metric)
        if layout is None:
            raise ValueError(f'PartPairScorer: needs a codetected:NxK metric (an embedding '
                             f'of part vectors), got {metric!r}')
        if max_train_pairs < 2:
            raise ValueError(f'PartPairScorer: max_train_pairs must be >= 2, got '
                             f'{max_train_pairs}')
        if part_names is not None and len(part_names) != layout.num_parts:
            raise ValueError(f'PartPairScorer: {len(part_names)} part names for '
                             f'{layout.num_parts} parts ({metric})')
        self.metric = metric
        self.layout = layout
        self.C = C
        self.max_train_pairs = max_train_pairs
        self.seed = seed
        self.part_names = list(part_names) if part_names is not None else [
            f'part{j}' for j in range(layout.num_parts)]

    def pair_features(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        """The features of row-aligned pairs: ``[M, 2 N + 1]`` (``[M, 2 N]`` for an
        embedding without a global branch), float64; see the class docstring."""
        X1, X2 = np.asarray(X1), np.asarray(X2)
        if X1.ndim != 2 or X1.shape != X2.shape:
            raise ValueError(f'PartPairScorer: X1 and X2 must both be [M, D], got '
                             f'{X1.shape} and {X2.shape}')
        return self._features_of_prepared(self._prepare(X1), self._prepare(X2))

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        """Unit part vectors, unit global vector and detected flags of each row
        (:func:`~eianet_mm.evaluation.functional.distance.prepare_features`)."""
        return prepare_features(torch.from_numpy(X.astype(np.float64)), self.metric).numpy()

    def _features_of_prepared(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """:meth:`pair_features` of row-aligned prepared rows."""
        num, dims = self.layout
        split, flags = num * dims, a.shape[1] - num
        common = a[:, flags:] * b[:, flags:]
        part_dot = (a[:, :split] * b[:, :split]).reshape(-1, num, dims).sum(axis=2)
        # missed parts are zero vectors: the dot product is 0 where a part is not shared
        columns = [2 * common - 2 * part_dot, common]
        if flags > split:
            columns.append(2 - 2 * (a[:, split:flags] * b[:, split:flags]).sum(1,
                                                                              keepdims=True))
        return np.concatenate(columns, axis=1)

    def fit(self, X: np.ndarray, y: np.ndarray,
            groups: Optional[np.ndarray] = None) -> 'PartPairScorer':
        """Fit on balanced pairs of labelled training features.

        Args:
            X (np.ndarray): Embeddings, ``[N, D]``.
            y (np.ndarray): Class labels, ``[N]``.
            groups (np.ndarray, optional): Group of each sample: different-class pairs are
                then drawn within a group (year level: the model years of one model).
                Defaults to None.

        Returns:
            PartPairScorer: self, with the fitted classifier in ``model_``.
        """
        X = np.asarray(X)
        if X.ndim != 2 or np.shape(y) != (X.shape[0], ):
            raise ValueError(f'PartPairScorer: X must be [N, D] and y [N], got {X.shape} '
                             f'and {np.shape(y)}')
        first, second, labels = balanced_pairs(y, self.max_train_pairs, self.seed, groups,
                                               owner='PartPairScorer')
        prepared = self._prepare(X)  # once per image, not once per pair
        self.model_ = LogisticRegression(C=self.C, max_iter=1000)
        self.model_.fit(self._features_of_prepared(prepared[first], prepared[second]), labels)
        return self

    def score(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        """Log-odds of "same" for row-aligned pairs, ``[M]`` (higher = same)."""
        if not hasattr(self, 'model_'):
            raise RuntimeError('PartPairScorer: call fit() before score()')
        return self.model_.decision_function(self.pair_features(X1, X2))

    def weights(self) -> Dict[str, object]:
        """What the fit learned: per part, the weight of its distance (negative: a larger
        distance speaks for "different") and of its being shared; the global distance's
        weight and the intercept."""
        if not hasattr(self, 'model_'):
            raise RuntimeError('PartPairScorer: call fit() before weights()')
        coef: List[float] = self.model_.coef_[0].tolist()
        num = self.layout.num_parts
        out: Dict[str, object] = dict(
            distance={n: coef[j] for j, n in enumerate(self.part_names)},
            shared={n: coef[num + j] for j, n in enumerate(self.part_names)},
            intercept=float(self.model_.intercept_[0]))
        if len(coef) > 2 * num:
            out['global_distance'] = coef[2 * num]
        return out


def fit_verification_scorers(metric: str,
                             feats: np.ndarray,
                             samples: Sequence[dict],
                             part_names: Optional[Sequence[str]] = None,
                             **scorer_kwargs) -> Dict[str, PartPairScorer]:
    """One :class:`PartPairScorer` per verification level, fitted on training embeddings:
    ``'model'`` on the vehicle models (``coarse_label``), ``'year'`` on the model years
    (``id_label``) with different-year pairs drawn within one model, as a year-level pair
    shows one model twice.

    Args:
        metric (str): The model's ``'codetected:NxK'`` distance.
        feats (np.ndarray): Training embeddings, ``[N, D]``.
        samples (Sequence[dict]): Their data samples (``coarse_label``, ``id_label``).
        part_names (Sequence[str], optional): Names of the parts. Defaults to None.
        **scorer_kwargs: ``C``, ``max_train_pairs``, ``seed`` of the scorers.

    Returns:
        dict[str, PartPairScorer]: ``{'model': ..., 'year': ...}``.
    """
    missing = [k for k in ('coarse_label', 'id_label') if samples and k not in samples[0]]
    if missing:
        raise KeyError(f'fit_verification_scorers: the training samples lack {missing} '
                       '(the model and model-year labels)')
    models = np.array([s['coarse_label'] for s in samples])
    years = np.array([s['id_label'] for s in samples])
    return {
        level: PartPairScorer(metric, part_names=part_names, **scorer_kwargs).fit(
            feats, y, groups)
        for level, (y, groups) in dict(model=(models, None), year=(years, models)).items()
    }
