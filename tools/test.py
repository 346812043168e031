"""Evaluate a checkpoint: prints the paper-style table and writes it as JSON in the work dir.

Examples:
    python tools/test.py configs/eianet_r18_synthcars.py work_dirs/eianet_r18_synthcars/iter_800.pth
    bash tools/dist_test.sh CONFIG CHECKPOINT 2
"""
import argparse
import json
import os
import os.path as osp
import time

from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.logging import print_log
from mmengine.runner import Runner

import eianet_mm  # noqa: F401  (registers modules, safe checkpoint loading)
from eianet_mm.apis.inference import checked_distance_metric
from eianet_mm.baselines import fit_verification_scorers
from eianet_mm.evaluation.metrics import VerificationMetric
from eianet_mm.experiments.runs import build_trained_model, collect_features, train_set_loader
from eianet_mm.utils.config import read_config
from eianet_mm.utils.launch import configure_launcher
from eianet_mm.utils.results_table import format_results_table


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (evaluate) an eianet_mm model.')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to write logs and results.json '
                        '(default: work_dirs/<config name>)')
    parser.add_argument('--out', help='also write the metrics JSON to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, e.g. model.test_cfg.flip=False')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def attach_pair_scorers(runner: Runner, cfg: Config, checkpoint: str) -> bool:
    """Fit the config's part pair scorers (``pair_scorer``) on the training set's
    embeddings and hand them to the test evaluator's verification metrics, as the main job
    does (eianet_mm/baselines/part_pair_scorer.py). Returns whether there were any."""
    metrics = [m for m in runner.test_loop.evaluator.metrics
               if isinstance(m, VerificationMetric)]
    if not metrics:
        return False
    model = build_trained_model(cfg, checkpoint)
    print_log('pair_scorer: embedding the training images to fit the part pair scorers',
              logger='current')
    feats, samples, _ = collect_features(model, train_set_loader(cfg))
    scorers = fit_verification_scorers(checked_distance_metric(cfg, model), feats, samples,
                                       **cfg.pair_scorer)
    for level, scorer in scorers.items():
        weights = ', '.join(f'{k} {v:+.2f}' for k, v in scorer.weights()['distance'].items())
        print_log(f'pair_scorer {level}: part distance weights {weights}', logger='current')
    for metric in metrics:
        metric.pair_scorers = {level: s.score for level, s in scorers.items()}
    return True


def main() -> None:
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = read_config(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    configure_launcher(cfg)

    runner = Runner.from_cfg(cfg)
    scored_by = None
    if cfg.get('pair_scorer') is not None and is_main_process():
        if attach_pair_scorers(runner, cfg, args.checkpoint):
            scored_by = dict(cfg.pair_scorer)
    metrics = runner.test()
    if is_main_process():
        print(format_results_table(metrics))
        record = dict(config=args.config, checkpoint=args.checkpoint,
                      time=time.strftime('%Y-%m-%d %H:%M:%S'), metrics=metrics)
        if scored_by is not None:
            # verification thresholds on the scorers' log-odds, not on a distance
            record['pair_scorer'] = scored_by
        outputs = [osp.join(cfg.work_dir, 'results.json')] + ([args.out] if args.out else [])
        for path in outputs:
            os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
            with open(path, 'w') as f:
                json.dump(record, f, indent=2)
            print(f'results written to {path}')


if __name__ == '__main__':
    main()
