"""Pair verification metrics: k-fold accuracy, ROC, AUC and TPR at fixed FPR.

Scores are similarities: higher means "same". A pair is predicted "same" when
``score >= threshold``. Every threshold search is one sort plus cumulative counts.
"""
from typing import Dict, Hashable, Sequence, Tuple, Union

import numpy as np
from torch import Tensor

ArrayLike = Union[np.ndarray, Tensor, list]


def _as_numpy(values: ArrayLike) -> np.ndarray:
    if isinstance(values, Tensor):
        return values.detach().cpu().numpy()
    return np.asarray(values)


def check_pairs(scores: ArrayLike, labels: ArrayLike) -> Tuple[np.ndarray, np.ndarray]:
    """Check verification scores and labels.

    Args:
        scores (np.ndarray | Tensor | list): Similarities, shape ``[N]``, finite.
        labels (np.ndarray | Tensor | list): 1 for "same", 0 for "different", shape ``[N]``;
            both classes must be present.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``scores`` as float64 and ``labels`` as bool.
    """
    s = _as_numpy(scores)
    y = _as_numpy(labels)
    if s.ndim != 1 or y.ndim != 1:
        raise ValueError(f'scores and labels must be 1-D, got shapes {s.shape} and {y.shape}')
    if s.shape[0] != y.shape[0]:
        raise ValueError(f'scores has {s.shape[0]} entries but labels has {y.shape[0]}')
    if s.dtype == object or not np.issubdtype(s.dtype, np.number) or s.dtype == bool:
        raise ValueError(f'scores must be numeric, got dtype {s.dtype}')
    s = s.astype(np.float64)
    for bad, what in ((np.isnan(s), 'NaN'), (~np.isfinite(s), 'inf')):
        if bad.any():
            raise ValueError(f'scores contain {what} (first at index '
                             f'{int(np.flatnonzero(bad)[0])})')
    if y.dtype == object or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ValueError(f'labels must be 0/1 numbers, got dtype {y.dtype}')
    bad = (y != 0) & (y != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f'labels must be 0 or 1, got {y[i].item()!r} at index {i}')
    y = y.astype(bool)
    num_pos = int(y.sum())
    if num_pos == 0 or num_pos == y.shape[0]:
        raise ValueError(f'labels hold only one class ({num_pos} positives, '
                         f'{y.shape[0] - num_pos} negatives); verification needs both')
    return s, y


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> Tuple[np.ndarray, np.ndarray,
                                                               np.ndarray]:
    """ROC curve at every distinct score (no point dropped).

    Args:
        scores (np.ndarray): float64 similarities, shape ``[N]``.
        labels (np.ndarray): bool labels with both classes, shape ``[N]``.

    Returns:
        tuple[np.ndarray]: ``fpr``, ``tpr`` and ``thresholds``, shape ``[K + 1]`` for ``K``
        distinct scores: point ``j`` predicts "same" for ``score >= thresholds[j]``;
        ``thresholds[0] = inf`` gives the point (0, 0).
    """
    order = np.argsort(-scores, kind='stable')
    s = scores[order]
    y = labels[order]
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])  # last index of each distinct score
    tps = np.cumsum(y)[ends]
    fps = (ends + 1) - tps
    tpr = np.r_[0, tps] / tps[-1]
    fpr = np.r_[0, fps] / fps[-1]
    return fpr, tpr, np.r_[np.inf, s[ends]]


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> Tuple[float, float]:
    """The accuracy-maximising threshold on a set of pairs.

    Candidates are the midpoints between consecutive distinct scores, plus ``+inf`` (nothing
    "same") and ``-inf`` (everything "same"). Among equally accurate candidates the highest
    threshold wins.

    Args:
        scores (np.ndarray): float64 similarities, shape ``[N]``.
        labels (np.ndarray): bool labels, shape ``[N]``.

    Returns:
        tuple[float, float]: The threshold and its accuracy on these pairs.
    """
    order = np.argsort(-scores, kind='stable')
    s = scores[order]
    y = labels[order]
    ends = np.flatnonzero(np.r_[s[1:] != s[:-1], True])
    tps = np.r_[0, np.cumsum(y)[ends]]  # "same" = the top j distinct scores, j = 0..K
    fps = np.r_[0, ends + 1] - tps
    num_neg = y.shape[0] - int(y.sum())
    correct = tps + (num_neg - fps)
    best = int(np.argmax(correct))
    distinct = s[ends]
    if best == 0:
        threshold = np.inf
    elif best == distinct.shape[0]:
        threshold = -np.inf
    else:
        threshold = 0.5 * (distinct[best - 1] + distinct[best])
    return float(threshold), float(correct[best] / y.shape[0])


def stratified_folds(labels: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Shuffled, stratified fold index of every pair.

    The positives are shuffled and dealt round-robin to the folds, then the negatives, so
    each fold holds ``n_pos / n_folds`` and ``n_neg / n_folds`` pairs (±1) whatever the
    order of the file.

    Args:
        labels (np.ndarray): bool labels, shape ``[N]``.
        n_folds (int): Number of folds.
        seed (int): Seed of ``np.random.default_rng``.

    Returns:
        np.ndarray: int64 fold index in ``[0, n_folds)``, shape ``[N]``.
    """
    rng = np.random.default_rng(seed)
    folds = np.empty(labels.shape[0], dtype=np.int64)
    for cls in (True, False):
        members = rng.permutation(np.flatnonzero(labels == cls))
        folds[members] = np.arange(members.shape[0]) % n_folds
    return folds


def tpr_at_fpr(fpr: np.ndarray, tpr: np.ndarray, target: float) -> float:
    """Highest TPR over the ROC points whose FPR is at most ``target`` (no interpolation).

    Args:
        fpr (np.ndarray): ROC false positive rates, ascending.
        tpr (np.ndarray): ROC true positive rates.
        target (float): The FPR budget.

    Returns:
        float: The TPR.
    """
    return float(tpr[fpr <= target].max())


def verification_metrics(scores: ArrayLike,
                         labels: ArrayLike,
                         n_folds: int = 10,
                         seed: int = 0) -> Dict[str, object]:
    """Verification accuracy (k-fold threshold), threshold, ROC AUC and TPR@FPR.

    Accuracy: the pairs are split into ``n_folds`` shuffled stratified folds; for each fold
    the threshold maximising accuracy on the other folds is applied to it; the mean and the
    population std of the held-out accuracies are reported. ``threshold`` is fitted on *all*
    pairs (for deployment; its in-sample accuracy is not reported).

    Args:
        scores (np.ndarray | Tensor | list): Similarities (higher = same), shape ``[N]``.
        labels (np.ndarray | Tensor | list): 1 same / 0 different, shape ``[N]``.
        n_folds (int): Cross-validation folds; each class needs at least this many pairs.
            Defaults to 10.
        seed (int): Seed of the fold shuffling. Defaults to 0.

    Returns:
        dict: ``accuracy``, ``accuracy_std``, ``threshold`` (fitted on all pairs), ``auc``,
        ``tpr@fpr1e-2``, ``tpr@fpr1e-3`` (floats, fractions); ``fold_accuracy`` and
        ``fold_threshold`` (``[n_folds]``); ``fpr``, ``tpr``, ``roc_thresholds`` (the ROC
        curve of :func:`roc_curve`); ``num_pos`` and ``num_neg``.
    """
    s, y = check_pairs(scores, labels)
    if isinstance(n_folds, bool) or not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise ValueError(f'n_folds must be an integer >= 2, got {n_folds!r}')
    num_pos = int(y.sum())
    num_neg = int(y.shape[0] - num_pos)
    if min(num_pos, num_neg) < n_folds:
        raise ValueError(f'{n_folds}-fold stratified cross-validation needs at least {n_folds} '
                         f'pairs of each class, got {num_pos} positives and {num_neg} negatives')
    folds = stratified_folds(y, n_folds, seed)
    fold_acc = np.empty(n_folds)
    fold_thr = np.empty(n_folds)
    for fold in range(n_folds):
        held_out = folds == fold
        fold_thr[fold], _ = best_threshold(s[~held_out], y[~held_out])
        fold_acc[fold] = np.mean((s[held_out] >= fold_thr[fold]) == y[held_out])
    threshold, _ = best_threshold(s, y)
    fpr, tpr, roc_thresholds = roc_curve(s, y)
    return {
        'accuracy': float(fold_acc.mean()),
        'accuracy_std': float(fold_acc.std()),
        'threshold': threshold,
        'auc': float(np.trapezoid(tpr, fpr)),
        'tpr@fpr1e-2': tpr_at_fpr(fpr, tpr, 1e-2),
        'tpr@fpr1e-3': tpr_at_fpr(fpr, tpr, 1e-3),
        'fold_accuracy': fold_acc,
        'fold_threshold': fold_thr,
        'fpr': fpr,
        'tpr': tpr,
        'roc_thresholds': roc_thresholds,
        'num_pos': num_pos,
        'num_neg': num_neg,
    }


def paired_fold_difference(folds_a: Sequence[float],
                           folds_b: Sequence[float]) -> Tuple[float, float]:
    """Accuracy difference of two methods scored on the same cross-validation folds, and its
    standard error over the folds' paired differences (``std(a_k - b_k, ddof=1) / sqrt(K)``).

    Args:
        folds_a (Sequence[float]): Held-out accuracy of each fold, method A.
        folds_b (Sequence[float]): The same folds' accuracies, method B.

    Returns:
        tuple[float, float]: Mean of ``a_k - b_k`` (= A's accuracy minus B's) and its
        standard error.
    """
    a, b = np.asarray(folds_a, dtype=float), np.asarray(folds_b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape or a.size < 2:
        raise ValueError('paired_fold_difference needs two equal-length sequences of at least '
                         f'2 fold accuracies, got shapes {a.shape} and {b.shape}')
    diffs = a - b
    return float(diffs.mean()), float(diffs.std(ddof=1) / np.sqrt(diffs.size))


def auc_by_group(scores: ArrayLike, labels: ArrayLike,
                 groups: Sequence[Hashable]) -> Dict[Hashable, Dict[str, object]]:
    """ROC AUC of every group of pairs (for instance the viewpoint pair of each pair).

    Args:
        scores (np.ndarray | Tensor | list): Similarities (higher = same), shape ``[N]``.
        labels (np.ndarray | Tensor | list): 1 same / 0 different, shape ``[N]``.
        groups (Sequence[Hashable]): The group of each pair, length ``N``.

    Returns:
        dict: ``group -> {'pairs', 'positives', 'auc'}`` for every group, in sorted order;
        ``auc`` is None for a group that holds one class only.
    """
    s, y = check_pairs(scores, labels)
    keys = list(groups)
    if len(keys) != s.shape[0]:
        raise ValueError(f'groups has {len(keys)} entries but scores has {s.shape[0]}')
    members: Dict[Hashable, list] = {}
    for i, key in enumerate(keys):
        members.setdefault(key, []).append(i)
    out: Dict[Hashable, Dict[str, object]] = {}
    for key in sorted(members):
        idx = np.asarray(members[key])
        positives = int(y[idx].sum())
        auc = None
        if 0 < positives < idx.shape[0]:
            fpr, tpr, _ = roc_curve(s[idx], y[idx])
            auc = float(np.trapezoid(tpr, fpr))
        out[key] = {'pairs': int(idx.shape[0]), 'positives': positives, 'auc': auc}
    return out
