"""The main job: generate SynthCars, train the part RPN and EIA-Net with the paper's
baselines, evaluate, and write a report (results.json, report.md, plots) to the work dir.

Examples:
    python tools/demo.py --seed 7                       # what `make demo SEED=7` runs
    python tools/demo.py --seed 7 --full-table          # every row of the paper's ablation table
    python tools/demo.py --seed 8 --train-seed 1008     # seed 8's data, other training runs
    python tools/demo.py --methods plain_drdl eianet    # a subset
"""
import argparse

import eianet_mm  # noqa: F401  (registers modules)
from eianet_mm.experiments import DEMO_METHODS, METHODS, MainJob


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seed', type=int, default=7, help='seed of the generated data and '
                        'of the training runs unless --train-seed (default: 7)')
    parser.add_argument('--train-seed', type=int,
                        help='seed of the training runs only, to repeat the comparison on the '
                        'same data with other initialisations and batches (default: --seed)')
    parser.add_argument('--work-dir', help='output folder (default: work_dirs/demo_seed<SEED>, '
                        'with _train<TRAIN_SEED> when that differs)')
    parser.add_argument('--data-root', help='where SynthCars is generated (default: '
                        'data/synthcars_seed<SEED>)')
    parser.add_argument('--preset', default='demo', help='SynthCars size preset (default: demo)')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--methods', nargs='+', choices=[m.key for m in METHODS],
                       help=f'methods to run (default: {" ".join(DEMO_METHODS)})')
    group.add_argument('--full-table', action='store_true',
                       help='run every method of the paper\'s table (longer)')
    parser.add_argument('--max-iters', type=int,
                        help='iterations of every training run, their learning-rate schedules '
                        'stretched with them (a few for a smoke run, e.g. 1200 for a longer '
                        'one; default: the configs\' own)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    methods = [m.key for m in METHODS] if args.full_table else (args.methods or DEMO_METHODS)
    default_dir = f'work_dirs/demo_seed{args.seed}' + (
        '' if args.train_seed in (None, args.seed) else f'_train{args.train_seed}')
    job = MainJob(seed=args.seed, work_dir=args.work_dir or default_dir,
                  data_root=args.data_root, methods=methods, preset=args.preset,
                  max_iters=args.max_iters, train_seed=args.train_seed)
    job.run()


if __name__ == '__main__':
    main()
