"""The main job: SynthCars → part RPN → EIA-Net and the paper's baselines → one report.

Every method is trained from its config on the same generated data and scored on the same
verification pairs (model level and year level; easy / medium / hard) with
:func:`eianet_mm.evaluation.functional.verification_metrics`; EIA-Net is also evaluated for
re-ID on the SynthCars VeRi-776 split. ``tools/demo.py`` is the command line.
"""
import json
import os
import os.path as osp
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from ..baselines import JointBayesian, PairSVM, fit_verification_scorers
from ..datasets.compcars import VIEWPOINT_NAMES
from ..datasets.synthcars import SynthCarsConfig, generate
from ..evaluation.functional import (evaluate_rank_features, paired_distance,
                                     verification_metrics)
from ..evaluation.functional.part_localisation import part_localisation, read_coco_part_boxes
from ..evaluation.metrics.verification_metric import auc_by_viewpoint_pair
from ..apis.inference import checked_distance_metric
from .runs import (build_trained_model, collect_features, load_config, set_max_iters,
                   test_dataloader_of, train, train_set_loader)

PART_RPN_CONFIG = 'configs/partrpn_r18_synthcars.py'
REID_DATA_CONFIG = 'configs/_base_/datasets/synthcars_veri776.py'
# SynthCars' ground-truth part boxes of the CompCars-layout test images, and those images.
TEST_PART_BOXES = 'parts/annotations/parts_test.json'
COMPCARS_IMAGES = 'compcars/data/image'


@dataclass(frozen=True)
class Method:
    """One row of the paper's tables. Every row's network starts from the stage-1 checkpoint's
    backbone (it stands for the paper's ImageNet pre-training) and part RPN.

    Args:
        key (str): Short name (results.json key).
        title (str): The row name in the paper.
        config (str): The config that trains its network.
        classifier (str, optional): ``'svm'`` or ``'jb'`` for the classical baselines, which
            fit on the network's training-set features; None scores pairs by the config's
            distance of the learned embeddings, or, where the config sets ``pair_scorer``,
            by part pair scorers fitted on the training-set features
            (:func:`~eianet_mm.baselines.fit_verification_scorers`). Defaults to None.
    """
    key: str
    title: str
    config: str
    classifier: Optional[str] = None


FC_CONFIG = 'configs/ablations/fc_r18_synthcars.py'
METHODS: Tuple[Method, ...] = (
    Method('fc_svm', 'FC feature + SVM', FC_CONFIG, 'svm'),
    Method('fc_jb', 'FC feature + Joint Bayesian', FC_CONFIG, 'jb'),
    Method('plain_drdl', 'Plain DRDL', 'configs/ablations/plain_drdl_r18_synthcars.py'),
    Method('rpn_rmac_drdl', 'RPN + R-MAC + DRDL*',
           'configs/ablations/rpn_rmac_drdl_r18_synthcars.py'),
    Method('rpn_crmac_drdl', 'RPN + CR-MAC + DRDL*',
           'configs/ablations/rpn_crmac_drdl_r18_synthcars.py'),
    Method('rpn_crmac_eial_drdl', 'RPN + CR-MAC + EIAL + DRDL*',
           'configs/ablations/rpn_crmac_eial_drdl_r18_synthcars.py'),
    Method('eianet', 'EIA-Net (RPN + CR-MAC + EIAL + MCCL)', 'configs/eianet_r18_synthcars.py'),
)
METHODS_BY_KEY: Dict[str, Method] = {m.key: m for m in METHODS}
#: The pair SVM's C: strong regularisation, since its 20,000 training pairs reuse few images
#: (on small data C=1 made liblinear crawl for minutes, with no gain in accuracy).
SVM_C = 0.01
DEMO_METHODS: Tuple[str, ...] = ('fc_svm', 'fc_jb', 'plain_drdl', 'eianet')
SUMMARY_KEYS = ('accuracy', 'accuracy_std', 'auc', 'threshold', 'tpr@fpr1e-2', 'tpr@fpr1e-3',
                'num_pos', 'num_neg')


#: What the generator did before a ``SynthCarsConfig`` field existed, where that differs from
#: the field's default (a new year changed 1..max_parts_per_year parts; year-level pairs were
#: drawn from every viewpoint).
FIELDS_BEFORE_THEY_EXISTED: Dict[str, object] = dict(min_parts_per_year=1,
                                                     year_pairs_show_design=False)


def ensure_synthcars(data_root: str, seed: int, preset: str = 'demo', workers: int = 2,
                     log: Callable[[str], None] = print) -> dict:
    """Generate SynthCars into ``data_root`` unless the same seed and preset are there."""
    meta_path = osp.join(data_root, 'synthcars_meta.json')
    cfg = SynthCarsConfig.from_preset(preset)
    if osp.isfile(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        # a field added to SynthCarsConfig since the data was written has the value the
        # generator used then, else its default
        stored = {**FIELDS_BEFORE_THEY_EXISTED, **meta.get('config', {})}
        try:
            stored = SynthCarsConfig(**stored).to_dict()
        except (TypeError, ValueError):
            pass  # unknown or invalid settings: reported as differing below
        if meta.get('seed') == seed and stored == cfg.to_dict():
            log(f'SynthCars seed {seed} ({preset}) already in {data_root}')
            return meta
        other = [k for k, v in cfg.to_dict().items() if stored.get(k) != v]
        why = f'seed {meta.get("seed")}' if meta.get('seed') != seed else (
            f'seed {seed}, but other settings than preset {preset!r} now has: '
            + ', '.join(other))
        raise RuntimeError(f'{data_root} holds another SynthCars dataset ({why}); choose '
                           'another --data-root or delete it')
    log(f'generating SynthCars ({preset}, seed {seed}) into {data_root}')
    generate(data_root, cfg, seed=seed, num_workers=workers)
    with open(meta_path) as f:
        return json.load(f)


def pair_scores(feats: np.ndarray, samples: List[dict], pairs: dict,
                score_fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Scores of one pair list, looking images up by ``img_id``."""
    row = {s['img_id']: i for i, s in enumerate(samples)}
    missing = [i for i in (*pairs['img_id1'], *pairs['img_id2']) if i not in row]
    if missing:
        raise KeyError(f'{pairs.get("file", "pair list")}: no embedding for {missing[0]}')
    idx1 = np.array([row[i] for i in pairs['img_id1']])
    idx2 = np.array([row[i] for i in pairs['img_id2']])
    return np.asarray(score_fn(feats[idx1], feats[idx2]), dtype=np.float64)


def part_boxes_on_test_images(samples: Sequence[dict], data_root: str,
                              part_names: Sequence[str]) -> dict:
    """Where a network's part boxes fall on the SynthCars test images, per part and viewpoint
    (:func:`~eianet_mm.evaluation.functional.part_localisation.part_localisation` against
    the generated part boxes of ``TEST_PART_BOXES``).

    Raises:
        KeyError: A test image has no entry in the part box file.
    """
    ann_file = osp.join(data_root, TEST_PART_BOXES)
    table = read_coco_part_boxes(ann_file, len(part_names))
    image_root = osp.abspath(osp.join(data_root, COMPCARS_IMAGES))
    gt_boxes, gt_labels = [], []
    for sample in samples:
        name = osp.relpath(osp.abspath(sample['img_path']), image_root)
        if name not in table:
            raise KeyError(f'{ann_file} has no entry for the test image {sample["img_path"]}')
        gt_boxes.append(table[name][0])
        gt_labels.append(table[name][1])
    instances = [s['pred_instances'] for s in samples]
    boxes = np.stack([np.asarray(p['bboxes'], dtype=np.float64) for p in instances])
    detected = np.stack([np.asarray(p['detected'], dtype=bool) for p in instances])
    views = [VIEWPOINT_NAMES.get(int(s.get('viewpoint', -1)), 'unknown') for s in samples]
    return part_localisation(boxes, detected, gt_boxes, gt_labels, views, part_names)


def negative_distance(metric: str = 'euclidean') -> Callable:
    """Similarity of two embedding batches: minus their ``metric`` distance (see
    :func:`~eianet_mm.evaluation.functional.paired_distance`)."""

    def score(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return -paired_distance(x, y, metric).double().numpy()

    return score



def pair_list_metrics(feats: np.ndarray, samples: List[dict], pair_lists: Dict[str, dict],
                      score_fns: Dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]
                      ) -> Tuple[Dict[str, dict], Dict[str, dict]]:
    """Verification metrics and ROC curves of every pair list (``model_easy`` ...).

    Args:
        feats (np.ndarray): ``[N, D]`` embeddings of ``samples``.
        samples (list[dict]): The images' data samples (``img_id``; with ``viewpoint`` in
            every sample, the metrics hold the AUC per viewpoint pair too).
        pair_lists (dict): ``name -> {img_id1, img_id2, label}`` (the dataset's ``pairs``).
        score_fns (dict): ``'model'`` / ``'year'`` -> similarity of two embedding batches.

    Returns:
        tuple: ``name -> {accuracy, auc, ..., n_folds, fold_accuracy[, by_viewpoint]}``
        (``fold_accuracy``: the held-out accuracy of each fold; the folds depend only on the
        labels, so every method scored on a list has the same ones; ``by_viewpoint``:
        ``'front / side' -> {pairs, positives, auc}``, see :func:`auc_by_viewpoint_pair`) and
        ``name -> {fpr, tpr}``.
    """
    metrics, curves = {}, {}
    viewpoint = None
    if samples and all('viewpoint' in s for s in samples):
        viewpoint = {s['img_id']: int(s['viewpoint']) for s in samples}
    for name, pairs in sorted(pair_lists.items()):
        scores = pair_scores(feats, samples, pairs, score_fns[name.split('_')[0]])
        labels = np.asarray(pairs['label'])
        # 10 folds as the protocol; fewer only on data too small for them (tiny preset).
        n_folds = int(min(10, labels.sum(), (labels == 0).sum()))
        full = verification_metrics(scores, labels, n_folds=n_folds, seed=0)
        metrics[name] = {k: full[k] for k in SUMMARY_KEYS}
        metrics[name]['n_folds'] = n_folds
        metrics[name]['fold_accuracy'] = [float(a) for a in full['fold_accuracy']]
        if viewpoint is not None:
            metrics[name]['by_viewpoint'] = auc_by_viewpoint_pair(
                scores, labels, [viewpoint[i] for i in pairs['img_id1']],
                [viewpoint[i] for i in pairs['img_id2']])
        curves[name] = dict(fpr=full['fpr'], tpr=full['tpr'])
    return metrics, curves


class MainJob:
    """Train and evaluate the chosen methods on one SynthCars seed, then write the report.

    Args:
        seed (int): Seed of the generated data (and of the training runs unless
            ``train_seed`` is given).
        work_dir (str): Where every run, ``results.json``, ``report.md`` and the plots go.
        data_root (str, optional): Where SynthCars is generated. Defaults to
            ``data/synthcars_seed<seed>``.
        methods (Sequence[str]): Keys of :data:`METHODS` to run. Defaults to
            :data:`DEMO_METHODS`.
        preset (str): SynthCars size preset. Defaults to 'demo'.
        cfg_options (dict, optional): Settings merged into every training config.
            Defaults to None.
        max_iters (int, optional): Length of every training run (stage 1 and each network),
            with their schedules stretched to it (:func:`set_max_iters`): small for a smoke
            run, larger for a longer one. Defaults to None (the configs' lengths).
        log (Callable): Progress printer. Defaults to ``print``.
        train_seed (int, optional): Seed of the training runs (``randomness.seed``), to
            repeat a comparison on the same data with other initialisations and batches.
            Defaults to None (``seed``).
    """

    def __init__(self,
                 seed: int,
                 work_dir: str,
                 data_root: Optional[str] = None,
                 methods: Sequence[str] = DEMO_METHODS,
                 preset: str = 'demo',
                 cfg_options: Optional[dict] = None,
                 max_iters: Optional[int] = None,
                 log: Callable[[str], None] = print,
                 train_seed: Optional[int] = None) -> None:
        unknown = [m for m in methods if m not in METHODS_BY_KEY]
        if unknown:
            raise ValueError(f'unknown methods {unknown}; choose from {list(METHODS_BY_KEY)}')
        self.seed = seed
        self.work_dir = work_dir
        self.data_root = data_root or f'data/synthcars_seed{seed}'
        self.methods = [METHODS_BY_KEY[m] for m in methods]
        self.preset = preset
        self.cfg_options = dict(cfg_options or {})
        self.max_iters = max_iters
        option = self.cfg_options.get('randomness.seed')
        if None not in (train_seed, option) and train_seed != option:
            raise ValueError(f'train_seed {train_seed} and cfg_options randomness.seed '
                             f'{option} disagree; give one')
        self.train_seed: int = next(s for s in (train_seed, option, seed) if s is not None)
        self.cfg_options['randomness.seed'] = self.train_seed
        self.log = log
        self.timing: Dict[str, float] = {}
        self._checkpoints: Dict[str, str] = {}
        self._test_samples: Dict[str, List[dict]] = {}
        self.part_names: Optional[List[str]] = None  # from the generated data's meta
        self._stage = 0
        self._num_train_classes: Optional[int] = None  # from the generated data's meta
        self._num_stages = 2 + len({m.config for m in self.methods}) + (
            1 if any(m.key == 'eianet' for m in self.methods) else 0)

    # ----------------------------------------------------------------- stages
    def _banner(self, text: str) -> None:
        self._stage += 1
        elapsed = sum(self.timing.values())
        self.log(f'\n==== [{self._stage}/{self._num_stages}] {text} '
                 f'(elapsed {elapsed / 60:.1f} min) ====')

    def _timed(self, name: str, fn: Callable, *args, **kwargs):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        self.timing[name] = self.timing.get(name, 0.0) + time.perf_counter() - start
        return out

    def _config(self, config: str, run_name: str, load_from: Optional[str] = None) -> Config:
        cfg = load_config(config, osp.join(self.work_dir, run_name), self.data_root,
                          load_from=load_from, cfg_options=self.cfg_options)
        if self.max_iters is not None:
            set_max_iters(cfg, self.max_iters)
        # The job evaluates every method itself after training: no validation loop inside.
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        self._fit_to_data(cfg, run_name)
        # One progress line per twelfth of the run instead of mmengine's INFO log.
        cfg.log_level = 'WARNING'
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='ProgressLineHook', name=run_name,
                 interval=max(1, cfg.train_cfg.max_iters // 12))
        ]
        return cfg

    def _fit_to_data(self, cfg: Config, run_name: str) -> None:
        """Fit a config to the generated data's training classes: the softmax's class count,
        and P of a P x K sampler when the data has fewer classes (the tiny preset)."""
        n = self._num_train_classes
        if n is None:
            return
        head = cfg.model.get('metric_head') or {}
        if head.get('loss_cls') is not None and head.get('num_classes') != n:
            self.log(f'{run_name}: {n} training classes in the data; softmax over {n} '
                     f'instead of {head["num_classes"]}')
            head['num_classes'] = n
        loader = cfg.get('train_dataloader') or {}
        sampler = loader.get('sampler') or {}
        if sampler.get('type') == 'PKSampler' and sampler['num_ids'] > n:
            self.log(f'{run_name}: P x K batches of {n} x {sampler["num_instances"]} instead '
                     f'of {sampler["num_ids"]} x {sampler["num_instances"]}')
            sampler['num_ids'] = n
            loader['batch_size'] = n * sampler['num_instances']

    def _train(self, config: str, run_name: str, load_from: Optional[str] = None) -> str:
        if config not in self._checkpoints:
            cfg = self._config(config, run_name, load_from)
            self._checkpoints[config] = self._timed(f'train {run_name}', train, cfg, run_name)
        return self._checkpoints[config]

    def run(self) -> dict:
        """Run every stage and write ``results.json``, ``report.md`` and the plots."""
        os.makedirs(self.work_dir, exist_ok=True)
        self._banner(f'SynthCars data (seed {self.seed})')
        meta = self._timed('generate data', ensure_synthcars, self.data_root, self.seed,
                           self.preset, log=self.log)
        self.part_names = meta.get('part_names')
        data_cfg = SynthCarsConfig(**meta['config'])
        self._num_train_classes = data_cfg.years_per_model * (
            data_cfg.makes * data_cfg.models_per_make - data_cfg.num_test_models)
        self._banner('stage 1: part RPN on the part boxes')
        part_ckpt = self._train(PART_RPN_CONFIG, 'part_rpn')

        results = dict(seed=self.seed, train_seed=self.train_seed, data_root=self.data_root,
                       preset=self.preset,
                       data=dict(counts=meta.get('counts'), part_names=meta.get('part_names')),
                       methods={}, reid={}, timing_s=self.timing)
        curves: Dict[str, Dict[str, dict]] = {}
        for method in self.methods:
            if method.config not in self._checkpoints:
                what = 'network' if method.classifier is None else 'feature network'
                self._banner(f'{method.title}: training its {what}')
            ckpt = self._train(method.config, method.key if method.classifier is None
                               else 'fc_network', part_ckpt)
            entry, method_curves = self._timed(f'evaluate {method.key}', self.evaluate,
                                               method, ckpt)
            results['methods'][method.key] = dict(title=method.title, checkpoint=ckpt, **entry)
            curves[method.key] = method_curves
            self.log(f'{method.title}: ' + ', '.join(
                f'{name} acc {m["accuracy"]:.3f}' for name, m in entry['verification'].items()))

        eianet = next((m for m in self.methods if m.key == 'eianet'), None)
        artefacts: Dict[str, str] = {}
        if eianet is not None:
            self._banner('EIA-Net re-ID on SynthCars VeRi-776 and pictures')
            results['reid'], artefacts = self._timed('evaluate eianet re-ID',
                                                     self.evaluate_reid, eianet)
        self._write_outputs(results, curves, artefacts)
        return results

    # ------------------------------------------------------------- evaluation
    def evaluate(self, method: Method, checkpoint: str) -> Tuple[dict, dict]:
        """Verification of one method on every pair list: its results entry
        (``verification``; with a config ``pair_scorer`` also ``verification_by_distance``
        and ``pair_scorer`` weights) and its ROC curves."""
        cfg = self._config(method.config, method.key)
        model = build_trained_model(cfg, checkpoint)
        feats, samples, metainfo = collect_features(model, test_dataloader_of(cfg, 'test'))
        pairs = metainfo['pairs']
        entry: dict = {}
        if method.classifier is None:
            metric = checked_distance_metric(cfg, model, method.config)
            score = negative_distance(metric)
            score_fns = {'model': score, 'year': score}
            scorer_cfg = cfg.get('pair_scorer')
            if scorer_cfg is not None:
                entry['verification_by_distance'] = pair_list_metrics(feats, samples, pairs,
                                                                      score_fns)[0]
                train_feats, train_samples, _ = collect_features(model, train_set_loader(cfg))
                scorers = fit_verification_scorers(metric, train_feats, train_samples,
                                                   self.part_names, **scorer_cfg)
                score_fns = {level: s.score for level, s in scorers.items()}
                entry['pair_scorer'] = {level: s.weights() for level, s in scorers.items()}
        else:
            train_feats, train_samples, _ = collect_features(model, train_set_loader(cfg))
            score_fns = self._fit_classical(method.classifier, train_feats, train_samples)
        entry['verification'], curves = pair_list_metrics(feats, samples, pairs, score_fns)
        if self.part_names and len(samples[0]['pred_instances']['bboxes']):
            entry['part_localisation'] = part_boxes_on_test_images(samples, self.data_root,
                                                                   self.part_names)
            entry['part_detector'] = model.test_part_detector
        self._test_samples[method.key] = samples
        return entry, curves

    def _fit_classical(self, classifier: str, feats: np.ndarray,
                       samples: List[dict]) -> Dict[str, Callable]:
        """Fit SVM / Joint Bayesian at model level (coarse labels) and year level."""
        labels = dict(model=np.array([s['coarse_label'] for s in samples]),
                      year=np.array([s['id_label'] for s in samples]))
        score_fns = {}
        for level, y in labels.items():
            if classifier == 'jb':
                fitted = JointBayesian(pca_dim=min(128, *feats.shape)).fit(feats, y)
            else:
                fitted = PairSVM(C=SVM_C, seed=self.seed).fit(feats, y)
            score_fns[level] = fitted.score
        return score_fns

    def evaluate_reid(self, method: Method) -> Tuple[dict, Dict[str, str]]:
        """Re-ID metrics of a trained method on SynthCars VeRi-776, plus the pictures."""
        cfg = self._config(method.config, method.key)
        model = build_trained_model(cfg, self._checkpoints[method.config])
        reid_cfg = load_config(REID_DATA_CONFIG, self.work_dir, self.data_root)
        feats, samples, _ = collect_features(model, test_dataloader_of(reid_cfg, 'test'))
        is_query = np.array([bool(s['is_query']) for s in samples])
        pids = np.array([s['id_label'] for s in samples])
        cams = np.array([s['cam_id'] for s in samples])
        metric = checked_distance_metric(cfg, model, method.config)
        cmc, mAP, mINP = evaluate_rank_features(feats[is_query], feats[~is_query],
                                                pids[is_query], pids[~is_query],
                                                cams[is_query], cams[~is_query], metric=metric)
        reid = {'R1': float(cmc[0]), 'R5': float(cmc[4]), 'R10': float(cmc[9]),
                'mAP': float(mAP), 'mINP': float(mINP),
                'num_query': int(is_query.sum()), 'num_gallery': int((~is_query).sum())}
        from .report import draw_part_examples, draw_ranking_examples
        artefacts = dict(
            ranking=draw_ranking_examples(osp.join(self.work_dir, 'ranking_lists.png'), feats,
                                          samples, is_query, pids, cams, metric=metric),
            parts=draw_part_examples(osp.join(self.work_dir, 'part_detections.png'),
                                     self._test_samples[method.key], self.part_names))
        return reid, artefacts

    def _write_outputs(self, results: dict, curves: dict, artefacts: Dict[str, str]) -> None:
        from .report import plot_roc_curves, write_report
        artefacts = dict(artefacts)
        artefacts['roc'] = plot_roc_curves(osp.join(self.work_dir, 'roc_curves.png'), curves,
                                           {m.key: m.title for m in self.methods})
        results['artefacts'] = {k: osp.basename(v) for k, v in artefacts.items()}
        with open(osp.join(self.work_dir, 'results.json'), 'w') as f:
            json.dump(results, f, indent=2)
        write_report(osp.join(self.work_dir, 'report.md'), results)
        self.log(f'\nreport: {osp.join(self.work_dir, "report.md")}')
