"""Re-ID ranking metrics against a plain per-query reference, hand-made cases and errors."""
import numpy as np
import pytest
import torch

from eianet_mm.evaluation import evaluate_rank, evaluate_rank_features, pairwise_distance
from eianet_mm.evaluation.functional.rank import searchsorted_rows


def reference_rank(distmat, q_pids, g_pids, q_camids, g_camids, max_rank):
    """The classic per-query loop (fast-reid / torchreid ``eval_market1501``), float64.

    Differences from the classic code, all documented behaviour of ``evaluate_rank``: the
    argsort is stable (ties keep gallery order) and a CMC shorter than ``max_rank`` is padded
    with its last value.
    """
    indices = np.argsort(distmat, axis=1, kind='stable')
    matches = (g_pids[indices] == q_pids[:, None]).astype(np.float64)
    all_cmc, all_ap, all_inp = [], [], []
    for q in range(distmat.shape[0]):
        order = indices[q]
        remove = (g_pids[order] == q_pids[q]) & (g_camids[order] == q_camids[q])
        raw_cmc = matches[q][~remove]
        if not np.any(raw_cmc):
            continue
        cmc = raw_cmc.cumsum()
        last = np.max(np.where(raw_cmc == 1))
        all_inp.append(cmc[last] / (last + 1.0))
        cmc[cmc > 1] = 1
        if cmc.shape[0] < max_rank:
            cmc = np.concatenate([cmc, np.full(max_rank - cmc.shape[0], cmc[-1])])
        all_cmc.append(cmc[:max_rank])
        tmp = np.asarray([x / (i + 1.0) for i, x in enumerate(raw_cmc.cumsum())]) * raw_cmc
        all_ap.append(tmp.sum() / raw_cmc.sum())
    if not all_cmc:
        raise AssertionError('reference: no valid query')
    return np.mean(all_cmc, axis=0), float(np.mean(all_ap)), float(np.mean(all_inp))


def random_case(rng, num_q, num_g, num_ids, num_cams):
    """Random ids and cameras; some query ids are absent, query 0 always has a match."""
    q_pids, g_pids = rng.integers(0, num_ids + 2, num_q), rng.integers(0, num_ids, num_g)
    q_camids, g_camids = rng.integers(0, num_cams, num_q), rng.integers(0, num_cams, num_g)
    q_pids[0], q_camids[0] = g_pids[0], g_camids[0] + 1
    return q_pids, g_pids, q_camids, g_camids


def assert_same(result, expected, tol=1e-9):
    cmc, m_ap, m_inp = result
    np.testing.assert_allclose(cmc, expected[0], rtol=0, atol=tol)
    assert abs(m_ap - expected[1]) <= tol
    assert abs(m_inp - expected[2]) <= tol


@pytest.mark.parametrize('ties', [False, True])
def test_matches_reference_on_random_data(ties):
    rng = np.random.default_rng(1 + ties)
    for _ in range(12):
        num_q, num_g = int(rng.integers(5, 60)), int(rng.integers(20, 300))
        ids = random_case(rng, num_q, num_g, int(rng.integers(3, 15)), int(rng.integers(1, 5)))
        if ties:  # few distinct values: many exact ties between matches and other images
            distmat = rng.integers(0, 6, (num_q, num_g)).astype(np.float64)
        else:
            distmat = rng.random((num_q, num_g))
        expected = reference_rank(distmat, *ids, max_rank=20)
        block = int(rng.integers(1, 40))
        assert_same(evaluate_rank(distmat, *ids, max_rank=20, block_size=block), expected)


def test_float32_torch_distmat():
    rng = np.random.default_rng(3)
    ids = random_case(rng, 40, 150, 10, 3)
    distmat = rng.integers(0, 50, (40, 150)).astype(np.float32) / 7
    expected = reference_rank(distmat, *ids, max_rank=10)
    assert_same(evaluate_rank(torch.from_numpy(distmat), *ids, max_rank=10), expected)


def test_junk_removal_hand_case():
    # Query: id 1, camera 1. Ascending distance: junk, other, match, other, match.
    distmat = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    g_pids = np.array([1, 2, 1, 3, 1])
    g_camids = np.array([1, 2, 2, 1, 3])
    cmc, m_ap, m_inp = evaluate_rank(distmat, [1], g_pids, [1], g_camids, max_rank=4)
    # Without the junk image the matches sit at ranks 2 and 4.
    np.testing.assert_array_equal(cmc, [0, 1, 1, 1])
    assert m_ap == pytest.approx((1 / 2 + 2 / 4) / 2, abs=1e-15)
    assert m_inp == pytest.approx(2 / 4, abs=1e-15)
    # Another camera for the query: nothing is junk, matches at ranks 1, 3 and 5.
    _, m_ap, m_inp = evaluate_rank(distmat, [1], g_pids, [9], g_camids, max_rank=4)
    assert m_ap == pytest.approx((1 + 2 / 3 + 3 / 5) / 3, abs=1e-15)
    assert m_inp == pytest.approx(3 / 5, abs=1e-15)


def test_query_without_valid_match_is_skipped():
    distmat = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.5, 0.4, 0.3, 0.2, 0.1],
                        [0.3, 0.1, 0.2, 0.4, 0.5]])
    g_pids = np.array([1, 2, 1, 3, 1])
    g_camids = np.array([1, 2, 2, 1, 3])
    # Query 2 (id 2, camera 2): its only gallery image has its camera. Query 3: id 7, absent.
    q_pids, q_camids = np.array([1, 2, 7]), np.array([1, 2, 1])
    cmc, m_ap, m_inp = evaluate_rank(distmat, q_pids, g_pids, q_camids, g_camids, max_rank=4)
    only_first = evaluate_rank(distmat[:1], q_pids[:1], g_pids, q_camids[:1], g_camids, 4)
    np.testing.assert_array_equal(cmc, only_first[0])
    assert (m_ap, m_inp) == (only_first[1], only_first[2])


def test_no_valid_query_raises():
    with pytest.raises(ValueError, match='no valid query'):
        evaluate_rank(np.zeros((2, 3)), [1, 2], [1, 2, 3], [0, 0], [0, 0, 5], max_rank=3)


def test_ties_broken_by_gallery_index():
    # Query id 1, camera 0; the three images at distance 1.0 keep gallery order.
    distmat = np.array([[1.0, 1.0, 1.0, 0.5]])
    g_camids = np.array([1, 1, 2, 1])
    cmc, m_ap, _ = evaluate_rank(distmat, [1], [2, 1, 1, 3], [0], g_camids, max_rank=4)
    np.testing.assert_array_equal(cmc, [0, 0, 1, 1])  # order g3, g0, g1, g2
    assert m_ap == pytest.approx((1 / 3 + 2 / 4) / 2, abs=1e-15)
    cmc, m_ap, _ = evaluate_rank(distmat, [1], [1, 2, 1, 3], [0], g_camids, max_rank=4)
    np.testing.assert_array_equal(cmc, [0, 1, 1, 1])  # the match g0 now precedes g1
    assert m_ap == pytest.approx((1 / 2 + 2 / 4) / 2, abs=1e-15)


def test_cmc_padded_when_gallery_shorter_than_max_rank():
    cmc, m_ap, _ = evaluate_rank(np.array([[0.2, 0.1, 0.3]]), [1], [1, 2, 3], [0], [1, 1, 1],
                                 max_rank=6)
    np.testing.assert_array_equal(cmc, [0, 1, 1, 1, 1, 1])
    assert m_ap == 0.5


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
def test_blocked_features_equal_dense(dtype):
    rng = np.random.default_rng(4)
    q = rng.normal(size=(70, 16)).astype(dtype)
    g = rng.normal(size=(300, 16)).astype(dtype)
    g[50:60] = g[40:50]  # duplicated images: exactly tied distances
    ids = random_case(rng, 70, 300, 25, 4)
    if dtype == np.float64:  # an independent dense computation
        distmat = ((q[:, None, :] - g[None, :, :])**2).sum(-1)
    else:  # the same formula, so that float32 rounding is identical
        distmat = pairwise_distance(q, g).numpy()
    expected = reference_rank(distmat, *ids, max_rank=15)
    for block_size in (1, 16, 256):
        result = evaluate_rank_features(q, g, *ids, max_rank=15, block_size=block_size)
        assert_same(result, expected)


def test_cosine_metric():
    rng = np.random.default_rng(5)
    q, g = rng.normal(size=(30, 8)), rng.normal(size=(120, 8)) * rng.uniform(0.5, 3, (120, 1))
    ids = random_case(rng, 30, 120, 10, 3)
    qn = q / np.linalg.norm(q, axis=1, keepdims=True)
    gn = g / np.linalg.norm(g, axis=1, keepdims=True)
    expected = reference_rank(1 - qn @ gn.T, *ids, max_rank=10)
    assert_same(evaluate_rank_features(q, g, *ids, metric='cosine', max_rank=10), expected)
    # Cosine ranks like squared Euclidean on the normalised vectors, not on the raw ones.
    assert_same(evaluate_rank_features(qn, gn, *ids, metric='euclidean', max_rank=10), expected)
    raw = evaluate_rank_features(q, g, *ids, metric='euclidean', max_rank=10)
    assert abs(raw[1] - expected[1]) > 1e-6


def test_threaded_searchsorted_equals_torch():
    torch.manual_seed(0)
    bounds = torch.sort(torch.randn(7, 5), dim=1).values
    values = torch.cat([torch.randn(7, 300), bounds[:, :3]], dim=1)
    out = torch.empty(values.shape, dtype=torch.int64)
    searchsorted_rows(bounds, values, out, num_workers=3)
    torch.testing.assert_close(out, torch.searchsorted(bounds, values), rtol=0, atol=0)


def test_input_errors():
    d = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r'g_pids has 2 entries, expected 3'):
        evaluate_rank(d, [1, 2], [1, 2], [0, 0], [0, 0, 0])
    with pytest.raises(ValueError, match=r'distmat must have shape \[Q, G\]'):
        evaluate_rank(np.zeros(3), [1], [1, 2, 3], [0], [0, 0, 0])
    with pytest.raises(ValueError, match='q_pids must hold integers'):
        evaluate_rank(d, [1.5, 2.0], [1, 2, 3], [0, 0], [0, 0, 0])
    bad = d.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match='non-finite values .*query row 1'):
        evaluate_rank(bad, [1, 2], [1, 2, 3], [0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match='max_rank must be a positive integer'):
        evaluate_rank(d, [1, 2], [1, 2, 3], [0, 0], [1, 1, 1], max_rank=0)
    with pytest.raises(ValueError, match='feature dimensions differ'):
        evaluate_rank_features(np.zeros((2, 4)), np.zeros((3, 5)), [1, 2], [1, 2, 3], [0, 0],
                               [1, 1, 1])
    with pytest.raises(ValueError, match="unknown distance metric 'l1'"):
        evaluate_rank_features(np.zeros((2, 4)), np.zeros((3, 4)), [1, 2], [1, 2, 3], [0, 0],
                               [1, 1, 1], metric='l1')
    feats = np.ones((3, 4))
    feats[2, 1] = np.inf
    with pytest.raises(ValueError, match='g_feats has non-finite values .*row 2'):
        evaluate_rank_features(np.ones((2, 4)), feats, [1, 2], [1, 2, 3], [0, 0], [1, 1, 1])
