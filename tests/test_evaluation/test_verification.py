"""Verification metrics: k-fold accuracy, ROC, AUC, TPR@FPR."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from eianet_mm.evaluation import (auc_by_group, paired_fold_difference, roc_curve,
                                  stratified_folds, tpr_at_fpr, verification_metrics)
from eianet_mm.evaluation.functional.verification import best_threshold


def test_separable_scores():
    rng = np.random.default_rng(0)
    labels = rng.permutation(np.r_[np.ones(200), np.zeros(300)])
    scores = np.where(labels == 1, rng.uniform(0.6, 1.0, 500), rng.uniform(0.0, 0.4, 500))
    res = verification_metrics(scores, labels)
    assert res['accuracy'] == 1.0 and res['accuracy_std'] == 0.0
    assert res['auc'] == 1.0
    assert res['tpr@fpr1e-2'] == 1.0 and res['tpr@fpr1e-3'] == 1.0
    gap = (scores[labels == 0].max(), scores[labels == 1].min())
    assert res['threshold'] == pytest.approx(0.5 * (gap[0] + gap[1]))
    assert res['num_pos'] == 200 and res['num_neg'] == 300


def test_random_scores_near_chance():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 6000)
    res = verification_metrics(rng.normal(size=6000), labels)
    assert abs(res['auc'] - 0.5) < 0.03
    assert abs(res['accuracy'] - 0.5) < 0.04


def test_hand_case_known_threshold():
    # 20 positives at 2; 18 negatives at 0 and 2 at 3. Every training split picks 1.0.
    scores = np.r_[np.full(20, 2.0), np.zeros(18), np.full(2, 3.0)]
    labels = np.r_[np.ones(20), np.zeros(20)].astype(int)
    res = verification_metrics(scores, labels, n_folds=10, seed=7)
    np.testing.assert_array_equal(res['fold_threshold'], np.full(10, 1.0))
    assert res['threshold'] == 1.0
    folds = stratified_folds(labels.astype(bool), 10, 7)
    # Each fold: 2 positives + 2 negatives; a negative at 3 is the only error.
    expected = 1 - np.bincount(folds[38:], minlength=10) / 4
    np.testing.assert_allclose(res['fold_accuracy'], expected)
    assert res['accuracy'] == pytest.approx(0.95)
    assert res['accuracy_std'] == pytest.approx(expected.std())


def test_positives_listed_first():
    # Files list the positives first; unshuffled, unstratified 2-fold splits would train on
    # one class only. Stratified shuffled folds get every pair right.
    scores = np.r_[np.linspace(0.6, 1.0, 50), np.linspace(0.0, 0.4, 50)]
    labels = np.r_[np.ones(50), np.zeros(50)]
    res = verification_metrics(scores, labels, n_folds=2, seed=0)
    assert res['accuracy'] == 1.0
    folds = stratified_folds(labels.astype(bool), 2, 0)
    for f in range(2):
        assert (labels[folds == f] == 1).sum() == 25 and (labels[folds == f] == 0).sum() == 25
    assert not np.array_equal(folds[:50], np.arange(50) % 2)  # shuffled
    assert not np.array_equal(folds, stratified_folds(labels.astype(bool), 2, 1))


def test_roc_and_auc_against_sklearn():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 400).astype(bool)
    scores = np.round(rng.normal(size=400) + labels, 1)  # many ties
    fpr, tpr, thr = roc_curve(scores, labels)
    sk_fpr, sk_tpr, sk_thr = sk_roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thr[1:], sk_thr[1:])
    res = verification_metrics(scores, labels)
    assert res['auc'] == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_tpr_at_fpr_direct():
    rng = np.random.default_rng(3)
    labels = np.r_[np.ones(500), np.zeros(3000)].astype(bool)
    scores = rng.normal(size=3500) + 2 * labels
    res = verification_metrics(scores, labels)
    pos, neg = scores[labels], scores[~labels]
    for target, key in ((1e-2, 'tpr@fpr1e-2'), (1e-3, 'tpr@fpr1e-3')):
        best = 0.0
        for t in np.unique(scores):
            if (neg >= t).mean() <= target:
                best = max(best, (pos >= t).mean())
        assert res[key] == pytest.approx(best, abs=1e-15)
    assert tpr_at_fpr(np.array([0, 0.5, 1]), np.array([0, 0.8, 1]), 0.4) == 0.0


def test_best_threshold_against_brute_force():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, 300).astype(bool)
    scores = np.round(rng.normal(size=300) + labels, 1)
    threshold, acc = best_threshold(scores, labels)
    values = np.unique(scores)
    candidates = np.r_[values[0] - 1, 0.5 * (values[1:] + values[:-1]), values[-1] + 1]
    accs = [np.mean((scores >= t) == labels) for t in candidates]
    assert acc == pytest.approx(max(accs), abs=1e-15)
    assert np.mean((scores >= threshold) == labels) == pytest.approx(acc, abs=1e-15)


def test_errors():
    with pytest.raises(ValueError, match='scores has 3 entries but labels has 2'):
        verification_metrics([0.1, 0.2, 0.3], [0, 1])
    with pytest.raises(ValueError, match='labels must be 0 or 1, got 2 at index 1'):
        verification_metrics([0.1, 0.2, 0.3], [0, 2, 1])
    with pytest.raises(ValueError, match='only one class'):
        verification_metrics(np.arange(20.0), np.ones(20))
    with pytest.raises(ValueError, match='NaN .*index 2'):
        verification_metrics([0.1, 0.2, np.nan, 0.4], [0, 1, 0, 1], n_folds=2)
    with pytest.raises(ValueError, match='at least 10 pairs of each class'):
        verification_metrics(np.arange(30.0), np.r_[np.ones(25), np.zeros(5)])
    with pytest.raises(ValueError, match='n_folds must be an integer >= 2'):
        verification_metrics(np.arange(30.0), np.r_[np.ones(15), np.zeros(15)], n_folds=1)


def test_auc_by_group_against_sklearn_per_group():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 300)
    groups = rng.choice(['front / side', 'rear / side', 'side / side'], 300)
    labels[groups == 'side / side'] = 1  # a group with one class only
    scores = np.round(rng.normal(size=300) + labels * (groups == 'front / side'), 1)
    out = auc_by_group(scores, labels, list(groups))
    assert list(out) == ['front / side', 'rear / side', 'side / side']
    for group in ('front / side', 'rear / side'):
        member = groups == group
        assert out[group]['pairs'] == int(member.sum())
        assert out[group]['positives'] == int(labels[member].sum())
        assert out[group]['auc'] == pytest.approx(
            roc_auc_score(labels[member], scores[member]), abs=1e-12)
    assert out['side / side'] == {'pairs': int((groups == 'side / side').sum()),
                                  'positives': int((groups == 'side / side').sum()), 'auc': None}
    assert out['front / side']['auc'] > 0.7 > out['rear / side']['auc']
    with pytest.raises(ValueError, match='groups has 299 entries but scores has 300'):
        auc_by_group(scores, labels, list(groups[:-1]))


def test_paired_fold_difference_against_direct_computation():
    a = [0.70, 0.65, 0.72, 0.68]
    b = [0.60, 0.66, 0.62, 0.64]
    diff, se = paired_fold_difference(a, b)
    d = [0.10, -0.01, 0.10, 0.04]  # a_k - b_k
    mean = sum(d) / 4
    assert diff == pytest.approx(mean) and diff == pytest.approx(np.mean(a) - np.mean(b))
    assert se == pytest.approx((sum((x - mean) ** 2 for x in d) / 3) ** 0.5 / 2)
    # the same folds of two methods that move together: the error of the difference is small
    # although each method's own fold spread is large
    assert paired_fold_difference([0.5, 0.9, 0.7], [0.48, 0.88, 0.68]) == pytest.approx(
        (0.02, 0.0), abs=1e-12)
    with pytest.raises(ValueError, match=r'got shapes \(3,\) and \(2,\)'):
        paired_fold_difference([0.5, 0.6, 0.7], [0.5, 0.6])
    with pytest.raises(ValueError, match='at least 2 fold accuracies'):
        paired_fold_difference([0.5], [0.4])
