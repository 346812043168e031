"""tools/extract_features.py and tools/search.py on the tiny checkpoint."""
import json

import cv2
import numpy as np

from eianet_mm.apis import extract, init_model, read_image_list
from tests.test_apis.tiny_eianet import EMBED_DIMS, NUM_PARTS, PART_DIMS


def write_labelled_list(tiny, path):
    lines = [f'{p} {label}' for p, label in zip(tiny['images'], tiny['labels'])]
    path.write_text('\n'.join(lines) + '\n')
    return path


def test_extract_features_writes_npy_list_and_parts(tiny, run_tool, tmp_path):
    out = tmp_path / 'feats' / 'gallery.npy'
    folder = tiny['images'][0].rsplit('/', 1)[0]
    status, stdout, err = run_tool('extract_features', [
        tiny['config'], tiny['checkpoint'], '--images', folder, '--out', out, '--save-parts',
        '--label-regex', r'car(\d)', '--batch-size', 4])
    assert status == 0, err
    feats = np.load(out)
    assert feats.shape == (6, EMBED_DIMS) and feats.dtype == np.float32
    names, labels = read_image_list(str(tmp_path / 'feats' / 'gallery.txt'))
    assert names == sorted(tiny['images']) and labels == [str(i) for i in range(6)]
    reference = extract(init_model(tiny['config'], tiny['checkpoint']), names)
    np.testing.assert_allclose(feats, reference, rtol=0, atol=1e-5)
    with np.load(tmp_path / 'feats' / 'gallery.parts.npz') as parts:
        assert parts['part_features'].shape == (6, NUM_PARTS, PART_DIMS)
        assert parts['detected'].shape == (6, NUM_PARTS) and parts['detected'].dtype == bool
        assert parts['bboxes'].shape == (6, NUM_PARTS, 4)
        assert parts['part_names'].tolist()[0] == 'head_light'
    assert 'detection rate per part: head_light 1.00' in stdout
    assert '6/6' in err  # the progress bar (more than one batch)


def test_extract_features_names_the_missing_image(tiny, run_tool, tmp_path):
    listing = tmp_path / 'list.txt'
    listing.write_text(f'{tiny["images"][0]}\nnot_here.jpg\n')
    status, _, err = run_tool('extract_features', [tiny['config'], tiny['checkpoint'],
                                                   '--images', listing, '--out',
                                                   tmp_path / 'f.npy'])
    assert status == 1 and 'not_here.jpg' in err
    assert not (tmp_path / 'f.npy').exists()
    status, _, err = run_tool('extract_features', [tiny['config'], tiny['checkpoint'],
                                                   '--images', listing, '--out',
                                                   tmp_path / 'f.bin'])
    assert status == 1 and '--out must be a .npy file' in err


def test_search_build_and_query_with_labels(tiny, run_tool, tmp_path):
    listing = write_labelled_list(tiny, tmp_path / 'all.txt')
    feats_path = tmp_path / 'all.npy'
    status, _, err = run_tool('extract_features', [tiny['config'], tiny['checkpoint'],
                                                   '--images', listing, '--out', feats_path])
    assert status == 0, err
    index_path = tmp_path / 'gallery_index.npz'
    status, out, err = run_tool('search', ['build', '--features', feats_path, '--out',
                                           index_path])
    assert status == 0, err
    assert 'gallery index of 6 images (68-d, euclidean, labelled)' in out
    out_dir = tmp_path / 'search'
    status, out, err = run_tool('search', ['query', index_path, '--features', feats_path,
                                           '--topk', 3, '--out-dir', out_dir, '--block-size',
                                           2])
    assert status == 0, err
    rankings = json.loads((out_dir / 'rankings.json').read_text())
    feats = np.load(feats_path).astype(np.float64)
    dist = ((feats[:, None] - feats[None])**2).sum(-1)
    labels = np.array(tiny['labels'])
    for q, entry in enumerate(rankings['queries']):
        order = np.argsort(dist[q], kind='stable')[:3]
        assert entry['query'] == tiny['images'][q] and entry['label'] == tiny['labels'][q]
        assert [r['image'] for r in entry['results']] == [tiny['images'][i] for i in order]
        np.testing.assert_allclose([r['distance'] for r in entry['results']],
                                   np.maximum(dist[q, order], 0), rtol=1e-4, atol=1e-6)
        assert [r['match'] for r in entry['results']] == (labels[order] == labels[q]).tolist()
    assert rankings['top1_match_rate'] == 1.0  # every query finds itself first
    picture = cv2.imread(str(out_dir / 'ranking_lists.png'))
    assert picture is not None and picture.shape[0] > 6 * 128


def test_search_with_the_veri_camera_rule(run_tool, tmp_path):
    names = ['0001_c001_a.jpg', '0001_c002_b.jpg', '0002_c001_c.jpg', '0001_c001_d.jpg']
    for name in names:
        cv2.imwrite(str(tmp_path / name), np.full((20, 30, 3), 90, np.uint8))
    feats = np.array([[0.0], [3.0], [1.0], [0.5]], np.float32)
    np.save(tmp_path / 'g.npy', feats)
    (tmp_path / 'g.txt').write_text(''.join(f'{n} {n[:4]}\n' for n in names))
    np.save(tmp_path / 'q.npy', feats[:1])
    (tmp_path / 'q.txt').write_text(f'{names[0]} 0001\n')
    assert run_tool('search', ['build', '--features', tmp_path / 'g.npy', '--out',
                               tmp_path / 'g.npz'])[0] == 0
    status, _, err = run_tool('search', ['query', tmp_path / 'g.npz', '--features',
                                         tmp_path / 'q.npy', '--out-dir', tmp_path / 'o',
                                         '--topk', 3, '--camera-regex', r'_c(\d+)_'])
    assert status == 0, err
    results = json.loads((tmp_path / 'o' / 'rankings.json').read_text())['queries'][0]
    # images 0 and 3 share the query's id and camera: left out; two images remain
    assert [r['image'].rsplit('/', 1)[1] for r in results['results']] == [names[2], names[1]]
    assert [r['match'] for r in results['results']] == [False, True]
    assert cv2.imread(str(tmp_path / 'o' / 'ranking_lists.png')) is not None
    status, _, err = run_tool('search', ['query', tmp_path / 'g.npz', '--features',
                                         tmp_path / 'q.npy', '--out-dir', tmp_path / 'o',
                                         '--camera-regex', r'_cam(\d+)_'])
    assert status == 1 and 'does not match' in err and '0001_c001_a.jpg' in err


def test_search_faiss_backend_or_a_clear_error(tiny, run_tool, tmp_path):
    feats = np.random.RandomState(0).randn(4, 5).astype(np.float32)
    np.save(tmp_path / 'g.npy', feats)
    (tmp_path / 'g.txt').write_text(''.join(f'{p}\n' for p in tiny['images'][:4]))
    status, _, _ = run_tool('search', ['build', '--features', tmp_path / 'g.npy', '--out',
                                       tmp_path / 'g.npz'])
    assert status == 0
    status, out, err = run_tool('search', ['query', tmp_path / 'g.npz', '--features',
                                           tmp_path / 'g.npy', '--backend', 'faiss',
                                           '--out-dir', tmp_path / 'o', '--vis-num', 0])
    try:
        import faiss  # noqa: F401
    except ImportError:
        assert status == 1
        assert 'pip install faiss-cpu' in err and "backend 'exact'" in err
        return
    assert status == 0, err
    rankings = json.loads((tmp_path / 'o' / 'rankings.json').read_text())
    assert [e['results'][0]['image'] for e in rankings['queries']] == tiny['images'][:4]


def test_search_input_errors_name_the_file(run_tool, tmp_path):
    np.save(tmp_path / 'g.npy', np.zeros((3, 4), np.float32))
    (tmp_path / 'g.txt').write_text('a.jpg\nb.jpg\n')
    status, _, err = run_tool('search', ['build', '--features', tmp_path / 'g.npy', '--out',
                                         tmp_path / 'g.npz'])
    assert status == 1 and 'g.txt names 2 images but' in err and 'g.npy has 3 rows' in err
    status, _, err = run_tool('search', ['query', tmp_path / 'none.npz', '--features',
                                         tmp_path / 'g.npy', '--out-dir', tmp_path])
    assert status == 1 and 'gallery index not found: ' in err and 'none.npz' in err
