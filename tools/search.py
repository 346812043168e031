"""Build a gallery index from extracted features and query it; draw ranking lists (Fig. 5).

Two steps, on the files ``tools/extract_features.py`` writes (``F.npy`` + ``F.txt``):

``build``: ``python tools/search.py build --features gallery.npy --out gallery_index.npz``
    stores the gallery embeddings, image paths, labels (when the list has them) and the
    distance metric in one ``.npz``.

``query``: ``python tools/search.py query gallery_index.npz --features query.npy --topk 5
--out-dir work_dirs/search``
    ranks the gallery for every query and writes ``rankings.json`` (per query: the top-k
    image paths, distances, labels and whether each is a true match when both sides have
    labels) and ``ranking_lists.png``: the first ``--vis-num`` queries, each followed by
    its top-k, true matches framed green, false ones red (gray without labels).

``--camera-regex`` applies VeRi-776's rule (gallery images of the query's id *and* camera
are left out), e.g. ``--camera-regex '_c(\\d+)_'`` for VeRi file names.

Search is exact by default (blocked matrix products, deterministic ties by gallery order);
``--backend faiss`` uses faiss (CPU, ``pip install faiss-cpu``) for large galleries.
"""
import argparse
import json
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np

from eianet_mm.apis import GalleryIndex, read_image_list
from eianet_mm.datasets.transforms.loading import read_vehicle_image
from eianet_mm.utils.cli import run_reporting_errors
from eianet_mm.visualization import draw_ranking_list, vstack, write_png

USER_ERRORS = (OSError, ValueError, RuntimeError, ImportError)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='tools/search.py',
        description='Gallery search over extracted EIA-Net embeddings: "build" an index '
        'from a gallery\'s features, then "query" it with query features; writes the '
        'rankings as JSON and ranking-list pictures (query + top-k, true/false matches '
        'framed green/red when labels are known).')
    sub = parser.add_subparsers(dest='command', required=True)
    build = sub.add_parser('build', help='build a gallery index (.npz) from features',
                           description='Build a gallery index from F.npy and its image list.')
    build.add_argument('--features', required=True,
                       help='gallery embeddings (.npy from tools/extract_features.py)')
    build.add_argument('--list', help='image list of the rows (default: the .npy name with '
                       '.txt)')
    build.add_argument('--metric', default='euclidean',
                       help="distance: 'euclidean' (squared, the paper), 'cosine' (1 - cos) "
                       "or 'codetected:NxK' (the N parts of K channels detected in both "
                       "images only, as the model's config names it; exact search) "
                       '(default: euclidean)')
    build.add_argument('--out', required=True, help='index file to write (.npz)')

    query = sub.add_parser('query', help='rank the gallery for query features',
                           description='Query a gallery index with extracted query features.')
    query.add_argument('index', help='gallery index (.npz from "build")')
    query.add_argument('--features', required=True, help='query embeddings (.npy)')
    query.add_argument('--list', help='image list of the queries (default: the .npy name '
                       'with .txt)')
    query.add_argument('--topk', type=int, default=5, help='results per query (default: 5)')
    query.add_argument('--backend', choices=['exact', 'faiss'], default='exact',
                       help='exact search (default) or faiss (needs faiss-cpu)')
    query.add_argument('--block-size', type=int, default=1024,
                       help='rows per block in exact search (default: 1024)')
    query.add_argument('--camera-regex',
                       help='VeRi-776 rule: drop gallery images of the query\'s label *and* '
                       'camera; the regex\'s first group, searched in the file name, is the '
                       'camera (e.g. "_c(\\d+)_" for VeRi names); needs labels')
    query.add_argument('--out-dir', required=True, help='folder for rankings.json and the '
                       'pictures')
    query.add_argument('--vis-num', type=int, default=8,
                       help='queries drawn in ranking_lists.png; 0 draws none (default: 8)')
    return parser.parse_args(argv)


def load_features(features: str, list_file: Optional[str]):
    """Embeddings, their image paths and labels (None when the list has none)."""
    if not osp.isfile(features):
        raise FileNotFoundError(f'features not found: {features}')
    try:
        feats = np.load(features, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f'{features} is not a .npy array: {err}') from None
    if feats.ndim != 2:
        raise ValueError(f'{features}: expected embeddings [N, D], got shape {feats.shape}')
    list_file = list_file or osp.splitext(features)[0] + '.txt'
    names, labels = read_image_list(list_file)
    if len(names) != feats.shape[0]:
        raise ValueError(f'{list_file} names {len(names)} images but {features} has '
                         f'{feats.shape[0]} rows')
    return feats, names, labels


def same_camera_exclusions(index: GalleryIndex, names: List[str], labels: Optional[List[str]],
                           pattern: str) -> List[List[int]]:
    """For each query, the gallery rows with its label and camera (VeRi-776's rule)."""
    if labels is None or index.labels is None:
        raise ValueError('--camera-regex needs labels for the queries and the gallery')
    regex = re.compile(pattern)
    if regex.groups < 1:
        raise ValueError(f'--camera-regex {pattern!r} has no group; put the camera in (...)')

    def camera(path: str) -> str:
        match = regex.search(osp.basename(path))
        if match is None:
            raise ValueError(f'--camera-regex {pattern!r} does not match {path}')
        return match.group(1)

    rows: Dict[Tuple[str, str], List[int]] = {}
    for row, (name, label) in enumerate(zip(index.names, index.labels)):
        rows.setdefault((label, camera(name)), []).append(row)
    return [rows.get((label, camera(name)), []) for name, label in zip(names, labels)]


def build(args: argparse.Namespace) -> str:
    """The ``build`` command."""
    feats, names, labels = load_features(args.features, args.list)
    index = GalleryIndex(feats, names, labels, metric=args.metric)
    index.save(args.out)
    print(f'gallery index of {len(index)} images ({index.dim}-d, {index.metric}'
          f'{", labelled" if labels is not None else ""}) written to {args.out}')
    return args.out


def query(args: argparse.Namespace) -> dict:
    """The ``query`` command."""
    index = GalleryIndex.load(args.index, backend=args.backend, block_size=args.block_size)
    feats, names, labels = load_features(args.features, args.list)
    exclude = None
    if args.camera_regex:
        exclude = same_camera_exclusions(index, names, labels, args.camera_regex)
    dist, idx = index.search(feats, args.topk, exclude)
    matches = None
    if labels is not None and index.labels is not None:
        matches = index.matches(idx, labels)
    rankings = []
    for q, name in enumerate(names):
        results = []
        for r in range(idx.shape[1]):
            g = int(idx[q, r])
            if g < 0:  # fewer allowed gallery images than --topk
                break
            entry = dict(rank=r + 1, image=index.names[g], distance=float(dist[q, r]))
            if index.labels is not None:
                entry['label'] = index.labels[g]
            if matches is not None:
                entry['match'] = bool(matches[q, r])
            results.append(entry)
        rankings.append(dict(query=name, label=None if labels is None else labels[q],
                             results=results))
    os.makedirs(args.out_dir, exist_ok=True)
    out = dict(index=args.index, metric=index.metric, backend=args.backend,
               topk=int(idx.shape[1]), camera_regex=args.camera_regex, queries=rankings)
    if matches is not None:
        out['top1_match_rate'] = float(matches[:, 0].mean())
        print(f'top-1 is a true match for {out["top1_match_rate"]:.4f} of the {len(names)} '
              'queries')
    json_path = osp.join(args.out_dir, 'rankings.json')
    with open(json_path, 'w', encoding='utf-8') as f:
        json.dump(out, f, indent=2)
    print(f'rankings of {len(names)} queries written to {json_path}')
    if args.vis_num > 0:
        rows = []
        for q in range(min(args.vis_num, len(names))):
            found = idx[q] >= 0
            rows.append(draw_ranking_list(
                read_vehicle_image(names[q]),
                [read_vehicle_image(index.names[int(g)]) for g in idx[q][found]],
                distances=dist[q][found].tolist(),
                matches=None if matches is None else matches[q][found].tolist(),
                query_title=osp.basename(names[q])))
        png = write_png(osp.join(args.out_dir, 'ranking_lists.png'), vstack(rows, gap=8))
        print(f'ranking lists written to {png}')
        out['picture'] = png
    return out


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    return run_reporting_errors(lambda: (build if args.command == 'build' else query)(args),
                                USER_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
