"""The co-detected-parts distance: against a per-pair loop, matrix and paired forms agree,
missed parts do not count, ranking and verification accept it, clear errors."""
import numpy as np
import pytest
import torch

from eianet_mm.evaluation.functional import evaluate_rank_features, paired_distance, \
    pairwise_distance
from eianet_mm.evaluation.functional.distance import check_metric, codetected_layout

NUM_PARTS, PART_DIMS, GLOBAL_DIMS = 3, 4, 5
METRIC = f'codetected:{NUM_PARTS}x{PART_DIMS}'


def embeddings(num: int, seed: int = 0, global_dims: int = GLOBAL_DIMS) -> torch.Tensor:
    """Random CR-MAC embeddings with some parts missed (zero vectors)."""
    gen = torch.Generator().manual_seed(seed)
    parts = torch.rand(num, NUM_PARTS, PART_DIMS, generator=gen, dtype=torch.float64)
    missed = torch.rand(num, NUM_PARTS, generator=gen) < 0.4
    parts[missed] = 0
    glob = torch.randn(num, global_dims, generator=gen, dtype=torch.float64)
    return torch.cat([parts.flatten(1), glob], dim=1)


def reference(a: torch.Tensor, b: torch.Tensor, global_dims: int = GLOBAL_DIMS) -> float:
    """Mean over co-detected parts of |a_j - b_j|^2 (unit vectors), plus the unit global
    vectors' squared distance, halved; the global term alone when no part is co-detected
    (2 without a global branch)."""
    terms = []
    for j in range(NUM_PARTS):
        x = a[j * PART_DIMS:(j + 1) * PART_DIMS]
        y = b[j * PART_DIMS:(j + 1) * PART_DIMS]
        if x.abs().sum() > 0 and y.abs().sum() > 0:
            terms.append(float(((x / x.norm() - y / y.norm())**2).sum()))
    part_term = sum(terms) / len(terms) if terms else 2.0
    if global_dims == 0:
        return part_term
    ga, gb = a[NUM_PARTS * PART_DIMS:], b[NUM_PARTS * PART_DIMS:]
    global_term = float(((ga / ga.norm() - gb / gb.norm())**2).sum())
    return (part_term + global_term) / 2 if terms else global_term


@pytest.mark.parametrize('global_dims', [GLOBAL_DIMS, 0])
def test_matches_a_per_pair_loop(global_dims):
    x, y = embeddings(7, seed=1, global_dims=global_dims), embeddings(9, seed=2,
                                                                       global_dims=global_dims)
    y[0, :NUM_PARTS * PART_DIMS] = 0  # every part missed: no co-detected part with anyone
    dist = pairwise_distance(x, y, METRIC)
    expected = torch.tensor([[reference(a, b, global_dims) for b in y] for a in x],
                            dtype=torch.float64)
    torch.testing.assert_close(dist, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(paired_distance(x, y[:7], METRIC), expected.diagonal())


def test_a_pair_without_a_common_part_is_scored_by_the_global_vectors():
    x = embeddings(2, seed=6)
    x[0, :PART_DIMS] = 1.0
    x[0, PART_DIMS:NUM_PARTS * PART_DIMS] = 0  # only part 0 seen
    x[1, :PART_DIMS] = 0
    x[1, PART_DIMS:2 * PART_DIMS] = 1.0  # only part 1 seen
    x[1, NUM_PARTS * PART_DIMS:] = 4 * x[0, NUM_PARTS * PART_DIMS:]  # same global direction
    assert float(paired_distance(x[:1], x[1:], METRIC)[0]) == pytest.approx(0.0, abs=1e-12)
    x[1, NUM_PARTS * PART_DIMS:] *= -1  # opposite global direction: |a - b|^2 = 4
    assert float(paired_distance(x[:1], x[1:], METRIC)[0]) == pytest.approx(4.0)
    assert float(pairwise_distance(x[:1], x[1:], METRIC)[0, 0]) == pytest.approx(4.0)
    # without a global branch no common part means unit vectors at a right angle
    parts_only = x[:, :NUM_PARTS * PART_DIMS]
    assert float(paired_distance(parts_only[:1], parts_only[1:], METRIC)[0]) == 2.0


def test_a_part_seen_in_one_image_only_does_not_count():
    x = embeddings(1, seed=3)
    x[0, :NUM_PARTS * PART_DIMS] = torch.arange(1.0, 1.0 + NUM_PARTS * PART_DIMS)  # all seen
    y = x.clone()
    y[0, :PART_DIMS] = 0  # ... missed in the other image
    assert float(paired_distance(x, y, METRIC)[0]) == pytest.approx(0.0, abs=1e-12)
    assert float(paired_distance(x, y, 'euclidean')[0]) > 1.0  # the zero padding counts
    scaled = y.clone()
    scaled[0, PART_DIMS:] *= 3  # each vector's scale does not matter either
    assert float(paired_distance(y, scaled, METRIC)[0]) == pytest.approx(0.0, abs=1e-12)


def test_ranking_accepts_it_and_matches_the_dense_distances():
    q, g = embeddings(6, seed=4), embeddings(20, seed=5)
    q_pids, g_pids = np.arange(6) % 3, np.arange(20) % 3
    q_cams, g_cams = np.zeros(6, dtype=np.int64), np.ones(20, dtype=np.int64)
    cmc, mAP, _ = evaluate_rank_features(q, g, q_pids, g_pids, q_cams, g_cams, metric=METRIC,
                                         block_size=4)
    dist = pairwise_distance(q, g, METRIC).numpy()
    first = g_pids[dist.argmin(axis=1)] == q_pids
    assert cmc[0] == pytest.approx(first.mean())
    assert 0 < mAP <= 1


def test_layout_and_errors():
    assert codetected_layout('codetected:7x64') == (7, 64)
    assert codetected_layout('euclidean') is None and check_metric(METRIC) == METRIC
    with pytest.raises(ValueError, match="unknown distance metric 'codetected:7'"):
        check_metric('codetected:7')
    with pytest.raises(ValueError, match='parts and channels must be >= 1'):
        check_metric('codetected:0x64')
    with pytest.raises(ValueError, match=r'at least 12 values \(3 parts x 4\), got 10'):
        pairwise_distance(torch.zeros(2, 10), torch.zeros(2, 10), METRIC)


def test_layout_must_match_the_model():
    from eianet_mm.evaluation.functional.distance import check_metric_layout
    assert check_metric_layout(METRIC, NUM_PARTS, PART_DIMS, 'cfg') == METRIC
    assert check_metric_layout('euclidean', 0, 0, 'cfg') == 'euclidean'
    with pytest.raises(ValueError, match=r'cfg: distance metric .* names 3 parts x 4 channels, '
                       r'but the model has 7 parts x 64 channels; use codetected:7x64'):
        check_metric_layout(METRIC, 7, 64, 'cfg')


def test_gallery_searches_it_exactly_and_refuses_faiss():
    from eianet_mm.apis import GalleryIndex
    gallery, queries = embeddings(12, seed=6), embeddings(3, seed=7)
    index = GalleryIndex(gallery, metric=METRIC)
    dist, idx = index.search(queries, k=4)
    expected = pairwise_distance(queries, gallery, METRIC)
    np.testing.assert_allclose(dist, expected.sort(dim=1).values[:, :4].numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="backend 'faiss' searches 'euclidean' or 'cosine'"):
        GalleryIndex(gallery, metric=METRIC, backend='faiss')
