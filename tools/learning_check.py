"""Where a trained verification network's scores come from: per embedding branch (the whole
embedding, and the R-MAC and Part-based CNN branches of EIA-Net) the accuracy / AUC on every
test pair list, and the model- and year-level AUC over pairs of *training* images. A level
at chance on the training images has not been learned; one learned there but at chance on
the test models does not generalise (docs/synthcars_learning.md).

Examples:
    python tools/learning_check.py work_dirs/demo_seed7/eianet/eianet_r18_synthcars.py \\
        work_dirs/demo_seed7/eianet/iter_400.pth
    python tools/learning_check.py configs/eianet_r18_synthcars.py CKPT \\
        --data-root data/synthcars_seed7 --out check.json
"""
import argparse
import json
import sys
from typing import List, Optional

from eianet_mm.experiments.learning_check import format_learning_check, learning_check
from eianet_mm.experiments.runs import load_config
from eianet_mm.utils.cli import run_reporting_errors

USER_ERRORS = (OSError, ValueError, RuntimeError, KeyError)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the stage-2 (verification) config the network used')
    parser.add_argument('checkpoint', help='the trained checkpoint')
    parser.add_argument('--data-root', help='SynthCars folder replacing the config\'s '
                        'data/synthcars/ (default: the config\'s paths)')
    parser.add_argument('--train-every', type=int, default=8,
                        help='score every N-th training image (all pairs of them; default 8)')
    parser.add_argument('--out', help='also write the numbers to this JSON file')
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> None:
    cfg = load_config(args.config, work_dir='work_dirs/learning_check', data_root=args.data_root)
    results = learning_check(cfg, args.checkpoint, train_every=args.train_every)
    print('\n'.join(format_learning_check(results)))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    return run_reporting_errors(lambda: run(args), USER_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
