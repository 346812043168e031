"""learning_check's pieces against direct computations."""
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from eianet_mm.evaluation.functional import pairwise_distance
from eianet_mm.experiments.learning_check import (branch_metric, branch_slices,
                                                  format_learning_check, within_set_aucs)


def test_within_set_aucs_matches_a_pair_loop():
    rng = np.random.default_rng(0)
    coarse = np.repeat([0, 0, 1, 1, 2], 4)
    labels = np.repeat([0, 1, 2, 3, 4], 4)
    feats = rng.normal(size=(20, 3)) + labels[:, None] * 0.3
    model_y, model_s, year_y, year_s = [], [], [], []
    for i in range(20):
        for j in range(i + 1, 20):
            score = -float(np.sum((feats[i] - feats[j])**2))
            model_y.append(coarse[i] == coarse[j])
            model_s.append(score)
            if coarse[i] == coarse[j]:
                year_y.append(labels[i] == labels[j])
                year_s.append(score)
    got = within_set_aucs(feats, labels, coarse)
    assert got['model'] == pytest.approx(roc_auc_score(model_y, model_s), abs=1e-12)
    assert got['year'] == pytest.approx(roc_auc_score(year_y, year_s), abs=1e-12)


def test_within_set_aucs_scores_with_the_given_distance():
    rng = np.random.default_rng(1)
    coarse = np.repeat([0, 0, 1, 1], 3)
    labels = np.repeat([0, 1, 2, 3], 3)
    feats = rng.random(size=(12, 2 * 3 + 2)) + labels[:, None] * 0.2
    feats[::4, :3] = 0  # some images miss part 0
    metric = 'codetected:2x3'
    dist = pairwise_distance(feats, feats, metric).numpy()
    first, second = np.triu_indices(12, 1)
    same_model = coarse[first] == coarse[second]
    got = within_set_aucs(feats, labels, coarse, metric)
    assert got['model'] == pytest.approx(
        roc_auc_score(same_model, -dist[first, second]), abs=1e-12)
    assert got != within_set_aucs(feats, labels, coarse)  # not the Euclidean scores


def test_branch_metric():
    assert branch_metric('embedding', 'codetected:7x64') == 'codetected:7x64'
    assert branch_metric('rmac', 'codetected:7x64') == 'codetected:7x64'
    assert branch_metric('global', 'codetected:7x64') == 'euclidean'
    assert branch_metric('rmac', 'cosine') == 'euclidean'
    assert branch_metric('embedding', 'cosine') == 'cosine'


def test_within_set_aucs_needs_both_kinds_of_year_pair():
    coarse = np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match='no year-level pair of both kinds'):
        within_set_aucs(np.eye(4), np.array([0, 0, 1, 1]), coarse)


def test_branch_slices_split_eianet_and_keep_a_plain_network_whole():
    class Net:
        num_parts, part_dims, embed_dims = 3, 4, 20

    assert branch_slices(Net()) == dict(embedding=slice(0, 20), rmac=slice(0, 12),
                                        global_=slice(12, 20))
    Net.num_parts = Net.part_dims = 0
    assert branch_slices(Net()) == dict(embedding=slice(0, 20))


def test_table_orders_the_pair_lists_by_level_and_difficulty():
    names = ['year_hard', 'model_hard', 'extra', 'model_easy', 'year_easy', 'model_medium']
    test = {n: dict(accuracy=0.5, auc=0.25) for n in names}
    lines = format_learning_check({'embedding': dict(test=test, train=dict(model=0.7, year=0.6))})
    assert lines[0] == ('| branch | model_easy | model_medium | model_hard | year_easy | '
                        'year_hard | extra | train model AUC | train year AUC |')
    assert lines[2] == '| embedding |' + ' 0.500 / 0.250 |' * 6 + ' 0.700 | 0.600 |'
