"""PairSVM: pair sampling, an easy separable case, determinism, symmetry."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from eianet_mm.baselines import PairSVM, pair_features


def clusters(num_classes, per_class, rng, dim=8, spread=0.3):
    centers = rng.normal(size=(num_classes, dim)) * 3
    y = np.repeat(np.arange(num_classes), per_class)
    return centers[y] + spread * rng.normal(size=(len(y), dim)), y


def test_pair_features():
    a, b = np.array([[1.0, -2.0]]), np.array([[3.0, 4.0]])
    np.testing.assert_array_equal(pair_features(a, b, 'absdiff'), [[2, 6]])
    np.testing.assert_array_equal(pair_features(a, b, 'prod'), [[3, -8]])
    np.testing.assert_array_equal(pair_features(a, b), [[2, 6, 3, -8]])
    with pytest.raises(ValueError, match='feature must be one of'):
        pair_features(a, b, 'concat')
    with pytest.raises(ValueError, match=r'must both be \[M, D\]'):
        pair_features(a, b[:, :1])


def test_sampled_pairs_are_balanced_and_correct():
    y = np.array([0, 0, 0, 1, 1, 2, 3, 3, 3, 3, 4])  # 2 and 4 have one sample each
    first, second, same = PairSVM(max_train_pairs=401, seed=3).sample_pairs(y)
    assert len(first) == len(second) == len(same) == 400 and same.sum() == 200
    assert (y[first[same == 1]] == y[second[same == 1]]).all()
    assert (first[same == 1] != second[same == 1]).all()
    assert (y[first[same == 0]] != y[second[same == 0]]).all()
    # Every multi-sample class gives same-class pairs, every ordered index pair can occur.
    assert set(y[first[same == 1]]) == {0, 1, 3}
    assert len(set(zip(first[same == 1], second[same == 1]))) == 3 * 2 + 2 + 4 * 3


def test_separates_an_easy_case_of_unseen_classes():
    rng = np.random.default_rng(0)
    X, y = clusters(40, 5, rng)
    svm = PairSVM(max_train_pairs=4000).fit(X, y)
    Xt, _ = clusters(50, 2, rng)  # new classes
    a, b = Xt[0::2], Xt[1::2]
    X1, X2 = np.concatenate([a, a]), np.concatenate([b, np.roll(b, 1, axis=0)])
    same = np.r_[np.ones(50), np.zeros(50)]
    scores = svm.score(X1, X2)
    assert roc_auc_score(same, scores) > 0.99
    assert ((scores > 0) == same).mean() > 0.9
    np.testing.assert_allclose(svm.score(X2, X1), scores)  # symmetric pair features


@pytest.mark.parametrize('feature', ['absdiff', 'prod', 'absdiff_prod'])
def test_deterministic_with_a_seed(feature):
    rng = np.random.default_rng(1)
    X, y = clusters(10, 4, rng, spread=2.0)
    Xq = rng.normal(size=(6, 8))
    s1 = PairSVM(feature=feature, max_train_pairs=300, seed=5).fit(X, y).score(Xq, Xq[::-1])
    s2 = PairSVM(feature=feature, max_train_pairs=300, seed=5).fit(X, y).score(Xq, Xq[::-1])
    s3 = PairSVM(feature=feature, max_train_pairs=300, seed=6).fit(X, y).score(Xq, Xq[::-1])
    np.testing.assert_array_equal(s1, s2)
    assert not np.allclose(s1, s3)


def test_errors():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match='feature must be one of'):
        PairSVM(feature='l2')
    with pytest.raises(ValueError, match='max_train_pairs must be >= 2'):
        PairSVM(max_train_pairs=1)
    with pytest.raises(ValueError, match='got 1 classes'):
        PairSVM().fit(X, np.zeros(4))
    with pytest.raises(ValueError, match='the largest of 1 samples'):
        PairSVM().fit(X, np.arange(4))
    with pytest.raises(ValueError, match=r'X must be \[N, D\] and y \[N\]'):
        PairSVM().fit(X, np.zeros(3))
    with pytest.raises(RuntimeError, match='call fit'):
        PairSVM().score(X, X)
