"""VehicleID protocol: seeded one-image-per-id galleries, no camera removal."""
import numpy as np
import pytest

from eianet_mm.evaluation import (draw_vehicleid_gallery, evaluate_rank, evaluate_vehicleid,
                                  pairwise_distance)


def make_data(seed=0, num_ids=30):
    rng = np.random.default_rng(seed)
    pids = np.repeat(np.arange(num_ids) * 7 + 100, rng.integers(1, 6, num_ids))
    centres = rng.normal(size=(num_ids, 12))
    feats = centres[(pids - 100) // 7] + rng.normal(scale=1.2, size=(pids.shape[0], 12))
    return feats, pids


def test_draw_one_image_per_id_reproducible():
    _, pids = make_data()
    gal = draw_vehicleid_gallery(pids, seed=3)
    ids, counts = np.unique(pids[gal], return_counts=True)
    np.testing.assert_array_equal(ids, np.unique(pids))
    assert (counts == 1).all()
    np.testing.assert_array_equal(gal, draw_vehicleid_gallery(pids, seed=3))
    assert not np.array_equal(gal, draw_vehicleid_gallery(pids, seed=4))


def test_matches_evaluate_rank_per_draw():
    feats, pids = make_data()
    res = evaluate_vehicleid(feats, pids, num_draws=4, seed=11, max_rank=10)
    assert res['seeds'] == [11, 12, 13, 14]
    dist = pairwise_distance(feats, feats).numpy()
    for i, seed in enumerate(res['seeds']):
        gal = draw_vehicleid_gallery(pids, seed)
        # No camera removal: give queries and gallery different cameras.
        cmc, m_ap, m_inp = evaluate_rank(dist[~gal][:, gal], pids[~gal], pids[gal],
                                         np.zeros((~gal).sum(), int), np.ones(gal.sum(), int),
                                         max_rank=10)
        np.testing.assert_allclose(res['per_draw']['cmc'][i], cmc, rtol=0, atol=1e-12)
        assert res['per_draw']['mAP'][i] == pytest.approx(m_ap, abs=1e-12)
        assert m_inp == pytest.approx(m_ap, abs=1e-12)  # one true match per query
        assert res['per_draw']['num_query'][i] == (~gal).sum()
    per_r1 = res['per_draw']['cmc'][:, 0]
    assert res['R1'] == pytest.approx(per_r1.mean()) and res['R1_std'] == pytest.approx(
        per_r1.std())
    assert res['R5'] == pytest.approx(res['per_draw']['cmc'][:, 4].mean())
    assert res['mAP_std'] == pytest.approx(res['per_draw']['mAP'].std())
    assert len(np.unique(res['per_draw']['mAP'])) > 1  # draws differ


def test_reproducible_with_seed():
    feats, pids = make_data(1)
    a = evaluate_vehicleid(feats, pids, num_draws=3, seed=5, metric='cosine', max_rank=5)
    b = evaluate_vehicleid(feats, pids, num_draws=3, seed=5, metric='cosine', max_rank=5)
    np.testing.assert_array_equal(a['per_draw']['cmc'], b['per_draw']['cmc'])
    c = evaluate_vehicleid(feats, pids, num_draws=3, seed=6, metric='cosine', max_rank=5)
    np.testing.assert_array_equal(a['per_draw']['cmc'][1:], c['per_draw']['cmc'][:2])


def test_errors():
    feats, pids = make_data()
    with pytest.raises(ValueError, match='single image'):
        evaluate_vehicleid(np.zeros((3, 4)), [1, 2, 3])
    with pytest.raises(ValueError, match='num_draws'):
        evaluate_vehicleid(feats, pids, num_draws=0)
    with pytest.raises(ValueError, match='at least 5'):
        evaluate_vehicleid(feats, pids, max_rank=3)
    with pytest.raises(ValueError, match='pids has 2 entries'):
        evaluate_vehicleid(feats, [1, 2])
