"""balanced_pairs with groups, and PartPairScorer: pair features against a direct computation,
what the fit learns on data where one part decides, errors."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from eianet_mm.baselines import PairSVM, PartPairScorer, balanced_pairs
from eianet_mm.evaluation.functional import paired_distance

METRIC = 'codetected:3x4'  # 3 parts of 4 channels, then a 2-d global branch


def test_balanced_pairs_without_groups_are_pairsvms():
    y = np.random.default_rng(0).integers(0, 6, size=50)
    for got, want in zip(balanced_pairs(y, 300, seed=5),
                         PairSVM(max_train_pairs=300, seed=5).sample_pairs(y)):
        np.testing.assert_array_equal(got, want)


def test_balanced_pairs_draw_negatives_within_a_group():
    # model (group) 0 has years 0, 1; model 1 has years 2, 3, 4; model 2 only year 5
    years = np.array([0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5])
    models = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2])
    first, second, same = balanced_pairs(years, 1000, seed=1, groups=models)
    assert len(first) == 1000 and same.sum() == 500
    neg = same == 0
    assert (models[first[neg]] == models[second[neg]]).all()
    assert (years[first[neg]] != years[second[neg]]).all()
    assert set(models[first[neg]]) == {0, 1}  # model 2 has one year: no negative there
    assert (years[first[~neg]] == years[second[~neg]]).all()
    assert set(years[first[~neg]]) == {0, 1, 2, 4, 5}  # year 3 has a single image


def test_balanced_pairs_errors():
    with pytest.raises(ValueError, match='Scorer: no group holds two classes'):
        balanced_pairs(np.array([0, 0, 1, 1]), 10, groups=np.array([0, 0, 1, 1]),
                       owner='Scorer')
    with pytest.raises(ValueError, match=r'groups must have one entry per sample \(4\)'):
        balanced_pairs(np.array([0, 0, 1, 1]), 10, groups=np.array([0, 0, 1]))
    with pytest.raises(ValueError, match='needs at least 2 classes'):
        balanced_pairs(np.array([0, 1, 2]), 10)
    with pytest.raises(ValueError, match='at least 2 training pairs'):
        balanced_pairs(np.array([0, 0, 1]), 1)


def test_pair_features_against_a_direct_computation():
    rng = np.random.default_rng(0)
    X1, X2 = rng.normal(size=(5, 14)), rng.normal(size=(5, 14))
    X1[0, 4:8] = 0  # part 1 missed in the first image of pair 0
    X2[1, 0:4] = 0  # part 0 missed in the second image of pair 1
    feats = PartPairScorer(METRIC).pair_features(X1, X2)
    assert feats.shape == (5, 7)
    for i in range(5):
        for j in range(3):
            a, b = X1[i, 4 * j:4 * j + 4], X2[i, 4 * j:4 * j + 4]
            shared = float(a.any() and b.any())
            dist = np.sum((a / np.linalg.norm(a) - b / np.linalg.norm(b))**2) if shared else 0
            assert feats[i, 3 + j] == shared
            assert feats[i, j] == pytest.approx(dist)
        ga, gb = X1[i, 12:], X2[i, 12:]
        assert feats[i, 6] == pytest.approx(
            np.sum((ga / np.linalg.norm(ga) - gb / np.linalg.norm(gb))**2))
    assert feats[0, 4] == 0 and feats[1, 3] == 0
    # without a global branch: 2 N columns
    assert PartPairScorer(METRIC).pair_features(X1[:, :12], X2[:, :12]).shape == (5, 6)


def _one_part_decides(rng, num_classes=40, per_class=6):
    """Part 0 tells the classes apart weakly, parts 1, 2 and the global vector are noise."""
    y = np.repeat(np.arange(num_classes), per_class)
    centres = rng.normal(size=(num_classes, 4))
    X = rng.normal(size=(len(y), 14))
    X[:, 0:4] = centres[y] + 0.8 * rng.normal(size=(len(y), 4))
    X[rng.random(len(y)) < 0.2, 8:12] = 0  # part 2 sometimes missed
    return X, y


def test_the_fit_weighs_the_part_that_decides():
    rng = np.random.default_rng(0)
    X, y = _one_part_decides(rng)
    scorer = PartPairScorer(METRIC, part_names=['lamp', 'door', 'roof'], seed=0).fit(X, y)
    learned = scorer.weights()
    assert set(learned) == {'distance', 'shared', 'intercept', 'global_distance'}
    assert list(learned['distance']) == ['lamp', 'door', 'roof']
    assert learned['distance']['lamp'] < -1.0
    assert abs(learned['distance']['door']) < 0.3 and abs(learned['global_distance']) < 0.3
    # on unseen classes the learned weighting beats the co-detected distance
    X_test, y_test = _one_part_decides(np.random.default_rng(1))
    first, second, same = balanced_pairs(y_test, 4000, seed=2)
    learned_auc = roc_auc_score(same, scorer.score(X_test[first], X_test[second]))
    distance_auc = roc_auc_score(
        same, -paired_distance(X_test[first], X_test[second], METRIC).numpy())
    assert learned_auc > distance_auc + 0.05
    # deterministic for one seed
    again = PartPairScorer(METRIC, seed=0).fit(X, y)
    np.testing.assert_array_equal(again.score(X[:7], X[7:14]), scorer.score(X[:7], X[7:14]))


def test_scorer_errors():
    with pytest.raises(ValueError, match="needs a codetected:NxK metric.*'euclidean'"):
        PartPairScorer('euclidean')
    with pytest.raises(ValueError, match=r'2 part names for 3 parts \(codetected:3x4\)'):
        PartPairScorer(METRIC, part_names=['a', 'b'])
    with pytest.raises(ValueError, match='max_train_pairs must be >= 2'):
        PartPairScorer(METRIC, max_train_pairs=1)
    scorer = PartPairScorer(METRIC)
    with pytest.raises(RuntimeError, match=r'call fit\(\) before score\(\)'):
        scorer.score(np.ones((1, 14)), np.ones((1, 14)))
    with pytest.raises(RuntimeError, match=r'call fit\(\) before weights\(\)'):
        scorer.weights()
    with pytest.raises(ValueError, match=r'X must be \[N, D\] and y \[N\]'):
        scorer.fit(np.ones((4, 14)), np.array([0, 0, 1]))
    with pytest.raises(ValueError, match=r'must both be \[M, D\]'):
        scorer.pair_features(np.ones((2, 14)), np.ones((3, 14)))
