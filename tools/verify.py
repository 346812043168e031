"""Are two vehicle images the same model? Prints the distance and the decision, draws the pair.

The decision compares the embedding distance with a threshold: ``--threshold`` when given,
else the one stored with the checkpoint (its ``meta['verification_thresholds']``, or the
``results.json`` that ``tools/test.py`` wrote beside it; see eianet_mm/apis/thresholds.py).
The picture shows both images with their detected parts; parts found in both images are
joined by a line.

Examples:
    python tools/verify.py configs/eianet_r18_synthcars.py \\
        work_dirs/eianet_r18_synthcars/iter_800.pth a.jpg b.jpg --level year --out pair.png
    python tools/verify.py CONFIG CKPT a.jpg b.jpg --threshold 0.8 --json result.json
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

from eianet_mm.apis import init_model, part_names_of, verify
from eianet_mm.datasets.transforms.loading import read_vehicle_image
from eianet_mm.utils.cli import run_reporting_errors
from eianet_mm.visualization import decision_text, draw_verify_pair, write_png

USER_ERRORS = (OSError, ValueError, RuntimeError, ImportError)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='tools/verify.py',
        description='Verify a pair of vehicle images with an EIA-Net checkpoint: print the '
        'embedding distance and the same/different decision at the stored (or given) '
        'threshold, and write a side-by-side picture with the detected parts.',
        epilog='Threshold lookup: --threshold, else meta["verification_thresholds"] in the '
        'checkpoint, else results.json beside the checkpoint (written by tools/test.py); '
        'without any, only the distance is printed.')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('img1', help='first image')
    parser.add_argument('img2', help='second image')
    parser.add_argument('--level', choices=['model', 'year'], default='model',
                        help='"model": same vehicle model; "year": same model and released '
                        'year (default: model)')
    parser.add_argument('--threshold', type=float,
                        help='decision threshold on the distance ("same" when distance <= '
                        'threshold); overrides the stored one')
    parser.add_argument('--out', default='verify.png',
                        help='picture to write (PNG; default: verify.png)')
    parser.add_argument('--json', help='also write the result as JSON to this file')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.test_cfg.flip=False')
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    """Verify the pair, print and write the results; return them as a dict."""
    images = [read_vehicle_image(args.img1), read_vehicle_image(args.img2)]  # for the picture
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options)
    result = verify(model, args.img1, args.img2, args.threshold, args.level)
    names = part_names_of(model)
    for index, (path, parts) in enumerate(zip((args.img1, args.img2), result.parts), 1):
        found = [names[int(label)] for label, det in zip(parts['labels'], parts['detected'])
                 if det]
        print(f'image {index}: {path} | parts detected {len(found)}/{len(names)}: '
              f'{", ".join(found) or "none"}')
    print(f'distance ({result.metric}): {result.distance:.6f}')
    if result.threshold is None:
        print('threshold: none found (pass --threshold, or run tools/test.py so that '
              'results.json lies beside the checkpoint, with --cfg-options pair_scorer=None '
              'for a config that sets pair_scorer); no decision')
    else:
        print(f'threshold: {result.threshold:.6f} ({result.threshold_source})')
    print(decision_text(result.distance, result.threshold, result.same, result.level))
    picture = draw_verify_pair(images[0], images[1], result.parts[0], result.parts[1],
                               result.distance, result.threshold, result.same, result.level,
                               names, titles=[osp.basename(args.img1), osp.basename(args.img2)])
    print(f'picture written to {write_png(args.out, picture)}')
    record = dict(img1=args.img1, img2=args.img2, level=result.level, metric=result.metric,
                  distance=result.distance, threshold=result.threshold,
                  threshold_source=result.threshold_source, same=result.same,
                  parts=[{
                      'names': names,
                      'detected': p['detected'].tolist(),
                      'bboxes': p['bboxes'].tolist(),
                      'scores': p['scores'].tolist()
                  } for p in result.parts],
                  picture=args.out)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2)
        print(f'result written to {args.json}')
    return record


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    return run_reporting_errors(lambda: run(args), USER_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
