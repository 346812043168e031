"""Embeddings of many images with an EIA-Net checkpoint, saved as ``.npy`` plus an image list.

``--out feats.npy`` writes ``feats.npy`` (``float32 [N, D]``, row i = image i),
``feats.txt`` (the image list, one path per line, ``<path><TAB><label>`` when labels are
known) and, with ``--save-parts``, ``feats.parts.npz`` (``part_features [N, P, K]``,
``detected [N, P]``, ``bboxes [N, P, 4]`` in image pixels, ``scores [N, P]``,
``part_names [P]``). ``tools/search.py`` reads ``feats.npy`` and ``feats.txt``.

``--images`` takes folders (searched recursively for images), list files (one image per
line, ``<path>`` or ``<path> <label>``; relative paths are relative to the list) and image
files, in any mix.

Examples:
    python tools/extract_features.py CONFIG CKPT --images data/synthcars/veri776/image_test \\
        --out work_dirs/gallery.npy --label-regex '^(\\d+)_'
    python tools/extract_features.py CONFIG CKPT --images query_list.txt --out q.npy --save-parts
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

import numpy as np
from mmengine.config import DictAction

from eianet_mm.apis import collect_images, extract, init_model, part_names_of, write_image_list
from eianet_mm.utils.cli import run_reporting_errors

USER_ERRORS = (OSError, ValueError, RuntimeError, ImportError)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='tools/extract_features.py',
        description='Extract EIA-Net embeddings (CR-MAC) of many images in batches, with a '
        'progress bar; write them as .npy with the image list beside (and optionally the '
        'per-part descriptors and detected flags).',
        epilog='Outputs for --out F.npy: F.npy [N, D] float32, F.txt (image list, labels '
        'after a tab), F.parts.npz with --save-parts.')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--images', nargs='+', required=True,
                        help='image folders, list files and/or image files')
    parser.add_argument('--out', required=True, help='output .npy file')
    parser.add_argument('--root', help='folder that relative paths in list files are '
                        'relative to (default: each list file\'s folder)')
    parser.add_argument('--label-regex',
                        help='take each label from the image path with this regular '
                        'expression (first group), e.g. "^(\\d+)_" for VeRi names')
    parser.add_argument('--batch-size', type=int, default=16, help='images per batch '
                        '(default: 16)')
    parser.add_argument('--save-parts', action='store_true',
                        help='also save per-part descriptors, boxes and detected flags')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.test_cfg.flip=False')
    return parser.parse_args(argv)


def output_paths(out: str) -> dict:
    """The files written for ``--out``: features, image list and parts."""
    if not out.endswith('.npy'):
        raise ValueError(f'--out must be a .npy file, got {out}')
    stem = out[:-len('.npy')]
    return dict(features=out, list=stem + '.txt', parts=stem + '.parts.npz')


def run(args: argparse.Namespace) -> dict:
    """Extract and write; return the output paths."""
    paths = output_paths(args.out)
    images, labels = collect_images(args.images, args.root, args.label_regex)
    images = [osp.abspath(p) for p in images]
    print(f'{len(images)} images' + (' with labels' if labels is not None else ''))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options)
    result = extract(model, images, batch_size=args.batch_size, return_parts=args.save_parts)
    feats, parts = result if args.save_parts else (result, None)
    np.save(paths['features'], feats)
    write_image_list(paths['list'], images, labels)
    print(f'embeddings {feats.shape} written to {paths["features"]}, image list to '
          f'{paths["list"]}')
    if parts is not None:
        np.savez(paths['parts'], part_features=parts['part_features'],
                 detected=parts['detected'], bboxes=parts['bboxes'], scores=parts['scores'],
                 part_names=np.asarray(part_names_of(model)))
        rate = parts['detected'].mean(axis=0)
        names = part_names_of(model)
        print('detection rate per part: ' + ', '.join(f'{n} {r:.2f}' for n, r in zip(names, rate)))
        print(f'part descriptors {parts["part_features"].shape} written to {paths["parts"]}')
    else:
        del paths['parts']
    return paths


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    return run_reporting_errors(lambda: run(args), USER_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
