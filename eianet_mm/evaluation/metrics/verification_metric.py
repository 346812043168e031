"""Pair verification metric over the pair lists of ``dataset_meta['pairs']``."""
import os.path as osp
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from mmdet.registry import METRICS
from ...datasets.compcars import viewpoint_pair_name
from ..functional import auc_by_group, paired_distance, verification_metrics
from ..functional.distance import check_metric

SUMMARY_KEYS = ('accuracy', 'accuracy_std', 'auc', 'threshold', 'tpr@fpr1e-2', 'tpr@fpr1e-3')


def auc_by_viewpoint_pair(scores: np.ndarray, labels: np.ndarray, viewpoints1: Sequence[int],
                          viewpoints2: Sequence[int]) -> Dict[str, Dict[str, object]]:
    """:func:`auc_by_group` of a pair list grouped by its images' viewpoints (CompCars
    codes), ``'front / side' -> {'pairs', 'positives', 'auc'}``."""
    groups = [viewpoint_pair_name(a, b) for a, b in zip(viewpoints1, viewpoints2)]
    return auc_by_group(scores, labels, groups)


@METRICS.register_module()
class VerificationMetric(BaseMetric):
    """Vehicle (model / year) verification on pair lists.

    Builds an ``img_id -> pred_feature`` table, scores every pair of every list in
    ``dataset_meta['pairs']`` (``{name: {'img_id1', 'img_id2', 'label', 'file'}}``) as
    ``-distance`` and reports, per list, ``<name>/accuracy`` and ``<name>/accuracy_std``
    (threshold by shuffled stratified k-fold), ``<name>/auc``, ``<name>/threshold`` (fitted
    on all pairs of the list), ``<name>/tpr@fpr1e-2`` and ``<name>/tpr@fpr1e-3``, as
    fractions (see :func:`verification_metrics`). With the default prefix the logged names
    are ``verification/<name>/accuracy`` etc. With ``by_viewpoint``, also
    ``<name>[<viewpoints>]/auc`` for every viewpoint pair of the list that holds both
    classes (``year_hard[front / side]/auc``, a row of its own in tools/test.py's table):
    which views a network can compare.

    ``pair_scorers`` (set after construction, since they are fitted on the training set,
    e.g. by tools/test.py from a config's ``pair_scorer``): ``level -> score function`` of
    two row-aligned embedding batches (higher = same); a list whose name starts with
    ``<level>_`` is then scored by it instead of ``-distance``.

    Args:
        metric (str): ``'euclidean'`` (squared), ``'cosine'`` or ``'codetected:NxK'`` (the
            parts detected in both images only; see
            :func:`~eianet_mm.evaluation.functional.distance.prepare_features`). Defaults to
            'euclidean'.
        n_folds (int): Cross-validation folds. Defaults to 10.
        seed (int): Seed of the fold shuffling. Defaults to 0.
        by_viewpoint (bool): Also the AUC per viewpoint pair; every sample must then carry
            its ``viewpoint`` (CompCars code, put in the meta keys of the test pipeline).
            Defaults to False.
        outfile_prefix (str, optional): When given, scores, labels and ROC curves of every
            list are saved to ``{outfile_prefix}.verification.npz`` under the keys
            ``{name}.scores``, ``{name}.labels``, ``{name}.fpr``, ``{name}.tpr`` and
            ``{name}.roc_thresholds``. Defaults to None.
        collect_device (str): Device used to collect results across ranks. Defaults to
            'cpu'.
        prefix (str, optional): Prefix of the metric names; ``default_prefix``
            ('verification') when None. Defaults to None.
    """
    default_prefix: Optional[str] = 'verification'

    def __init__(self,
                 metric: str = 'euclidean',
                 n_folds: int = 10,
                 seed: int = 0,
                 by_viewpoint: bool = False,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.metric = check_metric(metric)
        self.n_folds = n_folds
        self.seed = seed
        self.by_viewpoint = by_viewpoint
        self.outfile_prefix = outfile_prefix
        self.pair_scorers: Dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {}

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each sample's ``img_id`` and embedding.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): ``DetDataSample.to_dict()`` outputs with
                ``img_id`` and ``pred_feature`` (and ``viewpoint`` with ``by_viewpoint``).
        """
        for sample in data_samples:
            if 'img_id' not in sample or 'pred_feature' not in sample:
                raise KeyError('VerificationMetric: a data sample lacks img_id or pred_feature')
            feature = sample['pred_feature']
            if not isinstance(feature, torch.Tensor) or feature.dim() != 1:
                raise ValueError(f"VerificationMetric: pred_feature of {sample['img_id']!r} "
                                 'must be a 1-D tensor')
            record = dict(img_id=str(sample['img_id']), feature=feature.detach().cpu())
            if self.by_viewpoint:
                if 'viewpoint' not in sample:
                    raise KeyError(f"VerificationMetric(by_viewpoint=True): sample "
                                   f"{sample['img_id']!r} has no viewpoint; add 'viewpoint' to "
                                   "the meta_keys of the test pipeline's PackDetInputs")
                record['viewpoint'] = int(sample['viewpoint'])
            self.results.append(record)

    def compute_metrics(self, results: list) -> dict:
        """Score every pair list.

        Args:
            results (list): Outputs of :meth:`process` over the dataset.

        Returns:
            dict: Six summary values per pair list (see the class docstring).
        """
        pairs = (self.dataset_meta or {}).get('pairs')
        if not isinstance(pairs, dict) or not pairs:
            raise ValueError("VerificationMetric needs dataset_meta['pairs'] = {name: {'img_id1',"
                             " 'img_id2', 'label', 'file'}}, got "
                             f'{type(pairs).__name__}')
        if not results:
            raise ValueError('VerificationMetric received no samples')
        img_ids = np.array([r['img_id'] for r in results])
        order = np.argsort(img_ids, kind='stable')
        sorted_ids = img_ids[order]
        dup = sorted_ids[1:] == sorted_ids[:-1]
        if dup.any():
            raise ValueError(
                f'img_id {str(sorted_ids[1:][dup][0])!r} has more than one embedding')
        feats = torch.stack([r['feature'] for r in results])
        viewpoints = (np.array([r['viewpoint'] for r in results]) if self.by_viewpoint else
                      None)

        metrics: Dict[str, float] = {}
        dumps: Dict[str, np.ndarray] = {}
        for name, plist in pairs.items():
            source = plist.get('file', '<unknown file>')
            labels = np.asarray(plist['label'])
            sizes = (len(plist['img_id1']), len(plist['img_id2']), labels.shape[0])
            if labels.ndim != 1 or len(set(sizes)) != 1:
                raise ValueError(f'pair list {name!r} ({source}): img_id1, img_id2 and label '
                                 f'have different lengths {sizes}')
            rows1 = self._lookup(plist['img_id1'], sorted_ids, order, name, source)
            rows2 = self._lookup(plist['img_id2'], sorted_ids, order, name, source)
            scorer = self.pair_scorers.get(name.split('_')[0])
            if scorer is None:
                scores = -paired_distance(feats[rows1], feats[rows2],
                                          self.metric).double().numpy()
            else:
                scores = np.asarray(scorer(feats[rows1].numpy(), feats[rows2].numpy()),
                                    dtype=np.float64)
            try:
                res = verification_metrics(scores, labels, n_folds=self.n_folds, seed=self.seed)
            except ValueError as err:
                raise ValueError(f'pair list {name!r} ({source}): {err}') from err
            for key in SUMMARY_KEYS:
                metrics[f'{name}/{key}'] = res[key]
            if viewpoints is not None:
                by_view = auc_by_viewpoint_pair(scores, labels, viewpoints[rows1],
                                                viewpoints[rows2])
                for group, g in by_view.items():
                    if g['auc'] is not None:
                        metrics[f'{name}[{group}]/auc'] = g['auc']
            dumps.update({
                f'{name}.scores': scores,
                f'{name}.labels': labels,
                f'{name}.fpr': res['fpr'],
                f'{name}.tpr': res['tpr'],
                f'{name}.roc_thresholds': res['roc_thresholds'],
            })
        if self.outfile_prefix is not None:
            path = f'{self.outfile_prefix}.verification.npz'
            mkdir_or_exist(osp.dirname(osp.abspath(path)))
            np.savez(path, **dumps)
            print_log(f'verification scores and ROC curves saved to {path}', logger='current')
        return metrics

    @staticmethod
    def _lookup(ids: Sequence[str], sorted_ids: np.ndarray, order: np.ndarray, name: str,
                source: str) -> torch.Tensor:
        """Rows of ``ids`` in the results; a clear error names the first missing img_id."""
        wanted = np.asarray(ids, dtype=str)
        pos = np.searchsorted(sorted_ids, wanted).clip(max=sorted_ids.shape[0] - 1)
        found = sorted_ids[pos] == wanted
        if not found.all():
            first = int(np.flatnonzero(~found)[0])
            raise ValueError(
                f'pair list {name!r} ({source}): pair {first + 1} references img_id '
                f'{str(wanted[first])!r}, which has no embedding ({int((~found).sum())} such '
                'references in this list)')
        return torch.from_numpy(order[pos])
