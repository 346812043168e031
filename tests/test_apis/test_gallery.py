"""GalleryIndex: exact blocked search against a direct numpy computation, I/O, faiss."""
import numpy as np
import pytest

from eianet_mm.apis import GalleryIndex
from eianet_mm.apis.gallery import FAISS_MISSING


def reference_ranking(q: np.ndarray, g: np.ndarray, metric: str, k: int):
    q64, g64 = q.astype(np.float64), g.astype(np.float64)
    if metric == 'cosine':
        q64 = q64 / np.linalg.norm(q64, axis=1, keepdims=True)
        g64 = g64 / np.linalg.norm(g64, axis=1, keepdims=True)
        dist = 1 - q64 @ g64.T
    else:
        dist = ((q64[:, None, :] - g64[None, :, :])**2).sum(-1)
    order = np.argsort(dist, axis=1, kind='stable')[:, :k]
    return np.take_along_axis(dist, order, 1), order


@pytest.mark.parametrize('metric', ['euclidean', 'cosine'])
@pytest.mark.parametrize('block_size', [4, 1024])
def test_exact_search_matches_reference(metric, block_size):
    rng = np.random.RandomState(0)
    gallery = rng.randn(37, 9).astype(np.float32)
    queries = rng.randn(11, 9).astype(np.float32)
    index = GalleryIndex(gallery, metric=metric, block_size=block_size)
    dist, idx = index.search(queries, k=6)
    ref_dist, ref_idx = reference_ranking(queries, gallery, metric, 6)
    assert dist.shape == (11, 6) and idx.shape == (11, 6)
    assert dist.dtype == np.float32 and idx.dtype == np.int64
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-5, atol=1e-5)


def test_ties_are_broken_by_gallery_order_across_blocks():
    gallery = np.zeros((10, 3), np.float32)
    gallery[[2, 5, 8]] = [1.0, 0.0, 0.0]  # three identical rows, in three blocks of 3
    index = GalleryIndex(gallery, block_size=3)
    dist, idx = index.search(np.array([[1.0, 0.0, 0.0]], np.float32), k=4)
    assert idx[0, :3].tolist() == [2, 5, 8]
    assert dist[0, :3].tolist() == [0.0, 0.0, 0.0]
    assert idx[0, 3] == 0 and dist[0, 3] == pytest.approx(1.0)


def test_k_is_clipped_to_the_gallery_and_checked():
    index = GalleryIndex(np.eye(3, dtype=np.float32))
    dist, idx = index.search(np.eye(3, dtype=np.float32), k=10)
    assert idx.shape == (3, 3)
    np.testing.assert_array_equal(idx[:, 0], [0, 1, 2])
    with pytest.raises(ValueError, match='k must be positive'):
        index.search(np.eye(3, dtype=np.float32), k=0)
    with pytest.raises(ValueError, match='dimension 2, the gallery 3'):
        index.search(np.ones((1, 2), np.float32))


def test_exclusions_are_dropped_and_rows_padded():
    gallery = np.arange(6, dtype=np.float32)[:, None]
    index = GalleryIndex(gallery, labels=['a', 'a', 'b', 'b', 'c', 'c'], block_size=2)
    queries = np.array([[0.0], [5.0]], np.float32)
    dist, idx = index.search(queries, k=3, exclude=[{0, 1}, set(range(6)) - {2}])
    assert idx.tolist() == [[2, 3, 4], [2, -1, -1]]
    np.testing.assert_array_equal(dist[0], [4.0, 9.0, 16.0])
    assert dist[1, 0] == 9.0 and np.isinf(dist[1, 1:]).all()
    assert index.matches(idx, ['b', 'b']).tolist() == [[True, True, False],
                                                        [True, False, False]]
    with pytest.raises(ValueError, match='1 exclusion sets for 2 queries'):
        index.search(queries, exclude=[{0}])


def test_constructor_checks():
    with pytest.raises(ValueError, match='2 names for 3 gallery features'):
        GalleryIndex(np.eye(3), names=['a', 'b'])
    with pytest.raises(ValueError, match='1 labels for 3'):
        GalleryIndex(np.eye(3), labels=['a'])
    with pytest.raises(ValueError, match='backend must be one of'):
        GalleryIndex(np.eye(3), backend='annoy')
    with pytest.raises(ValueError, match='unknown distance metric'):
        GalleryIndex(np.eye(3), metric='manhattan')
    with pytest.raises(ValueError, match='non-finite'):
        GalleryIndex(np.array([[0.0, np.nan]]))


def test_matches_and_save_load_roundtrip(tmp_path):
    feats = np.array([[0, 0], [1, 0], [0, 1], [5, 5]], np.float32)
    index = GalleryIndex(feats, names=['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg'],
                         labels=['1', '2', '1', '3'], metric='euclidean')
    path = index.save(str(tmp_path / 'gallery.npz'))
    loaded = GalleryIndex.load(path)
    assert loaded.names == ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']
    assert loaded.labels == ['1', '2', '1', '3'] and loaded.metric == 'euclidean'
    np.testing.assert_array_equal(loaded.features.numpy(), feats)
    dist, idx = loaded.search(np.array([[0.1, 0.0]], np.float32), k=3)
    assert idx[0].tolist() == [0, 1, 2]
    assert loaded.matches(idx, ['1']).tolist() == [[True, False, True]]
    unlabelled = GalleryIndex(feats)
    with pytest.raises(ValueError, match='no labels'):
        unlabelled.matches(idx, ['1'])


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.npz'):
        GalleryIndex.load(str(tmp_path / 'nothere.npz'))
    bad = tmp_path / 'bad.npz'
    bad.write_bytes(b'not a zip file')
    with pytest.raises(ValueError, match='bad.npz is not a gallery index'):
        GalleryIndex.load(str(bad))
    partial = tmp_path / 'partial.npz'
    np.savez(partial, features=np.eye(2))
    with pytest.raises(ValueError, match=r"lacks \['metric', 'names'\]"):
        GalleryIndex.load(str(partial))


def test_faiss_backend_matches_exact_or_explains_how_to_install():
    rng = np.random.RandomState(1)
    gallery = rng.randn(50, 8).astype(np.float32)
    queries = rng.randn(5, 8).astype(np.float32)
    try:
        import faiss  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError) as info:
            GalleryIndex(gallery, backend='faiss')
        assert str(info.value) == FAISS_MISSING
        assert 'pip install faiss-cpu' in FAISS_MISSING and 'requirements/optional.txt' in \
            FAISS_MISSING
        return
    for metric in ('euclidean', 'cosine'):
        exact = GalleryIndex(gallery, metric=metric).search(queries, 5)
        approx = GalleryIndex(gallery, metric=metric, backend='faiss').search(queries, 5)
        np.testing.assert_array_equal(approx[1], exact[1])
        np.testing.assert_allclose(approx[0], exact[0], rtol=1e-4, atol=1e-4)
