"""How hard is SynthCars? A colour-histogram baseline and a part oracle on its pair files.

Generates a SynthCars set (demo sizes by default) into a temporary folder and scores every
model- and year-level pair file with
  (a) the chi-square distance of whole-image colour histograms (nuisance only), and
  (b) a part oracle comparing the ground-truth crops of the design parts visible in both images,
reporting ROC AUC and 10-fold cross-validated threshold accuracy. The histogram should be near
chance on year-level pairs, the oracle clearly above it. Prints one final JSON line.

    python benchmarks/synthcars_difficulty.py [--seed 0] [--preset demo] [--workers 2]
    python benchmarks/synthcars_difficulty.py --quick    # the tiny preset (64x64), seconds
"""
import argparse
import json
import os
import tempfile

from eianet_mm.datasets.synthcars import (PRESETS, SynthCarsConfig, evaluate_difficulty,
                                          generate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seed', type=int, default=0, help='default: 0')
    parser.add_argument('--preset', choices=sorted(PRESETS), default='demo',
                        help='default: demo')
    parser.add_argument('--images-per-class', type=int, help='override the preset')
    parser.add_argument('--workers', type=int, default=min(2, os.cpu_count() or 1),
                        help='default: min(2, CPUs)')
    parser.add_argument('--root', help='score this existing dataset instead of generating one')
    parser.add_argument('--quick', action='store_true', help='the tiny preset')
    args = parser.parse_args()
    if args.quick:
        args.preset = 'tiny'
    overrides = {} if args.images_per_class is None else dict(
        images_per_class=args.images_per_class)
    cfg = SynthCarsConfig.from_preset(args.preset, **overrides)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root
        if root is None:
            root = tmp
            generate(root, cfg, seed=args.seed, num_workers=args.workers)
        results = evaluate_difficulty(root)
    print(f'{"pair set":<14}{"pairs":>7}{"hist AUC":>10}{"hist acc":>10}'
          f'{"oracle AUC":>12}{"oracle acc":>12}')
    for name, r in results.items():
        print(f'{name:<14}{r["pairs"]:>7}{r["histogram_auc"]:>10.3f}{r["histogram_acc"]:>10.3f}'
              f'{r["oracle_auc"]:>12.3f}{r["oracle_acc"]:>12.3f}')
    seed = args.seed
    if args.root:  # an existing dataset: the seed it was generated with, not --seed
        with open(os.path.join(args.root, 'synthcars_meta.json')) as f:
            seed = json.load(f).get('seed')
    print(json.dumps(dict(benchmark='synthcars_difficulty', seed=seed, root=args.root,
                          preset=None if args.root else args.preset,
                          results={k: {m: round(v, 4) for m, v in r.items()}
                                   for k, r in results.items()})))


if __name__ == '__main__':
    main()
