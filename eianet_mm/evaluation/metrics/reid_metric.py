"""Re-ID metric: CMC ranks, mAP and mINP under the dataset's protocol (VeRi or VehicleID)."""
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmdet.registry import METRICS
from ..functional import evaluate_rank_features, evaluate_vehicleid
from ..functional.distance import check_metric

REID_PROTOCOLS = ('veri', 'vehicleid')


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Re-ID evaluation of ``pred_feature`` embeddings.

    The protocol comes from ``dataset_meta['protocol']``:

    - ``'veri'`` (VeRi-776, VERI-Wild): the samples with ``is_query`` are the queries, the
      others the gallery; same id + same camera removed (:func:`evaluate_rank_features`).
      Keys ``R{k}`` for ``k`` in ``ranks``, ``mAP`` and ``mINP``.
    - ``'vehicleid'``: ``is_query`` is ignored; ``num_draws`` seeded galleries of one random
      image per id (:func:`evaluate_vehicleid`; the seeds are logged). Keys ``R{k}``,
      ``R{k}_std``, ``mAP`` and ``mAP_std`` (mean and std over draws).

    Values are fractions in [0, 1], as in mmdet's ``ReIDMetrics`` (but not rounded). With the
    default prefix the logged names are ``reid/R1`` etc.

    Args:
        metric (str): ``'euclidean'`` (squared), ``'cosine'`` or ``'codetected:NxK'`` (see
            :func:`~eianet_mm.evaluation.functional.distance.prepare_features`). Defaults to
            'euclidean'.
        max_rank (int): Length of the CMC curve. Defaults to 50.
        ranks (Sequence[int]): CMC ranks reported. Defaults to (1, 5, 10).
        num_draws (int): VehicleID gallery draws. Defaults to 10.
        seed (int): Seed of the first VehicleID draw. Defaults to 0.
        block_size (int): Queries ranked together (bounds memory). Defaults to 256.
        collect_device (str): Device used to collect results across ranks. Defaults to
            'cpu'.
        prefix (str, optional): Prefix of the metric names; ``default_prefix`` ('reid') when
            None. Defaults to None.
    """
    default_prefix: Optional[str] = 'reid'

    def __init__(self,
                 metric: str = 'euclidean',
                 max_rank: int = 50,
                 ranks: Sequence[int] = (1, 5, 10),
                 num_draws: int = 10,
                 seed: int = 0,
                 block_size: int = 256,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        check_metric(metric)
        ranks = tuple(int(k) for k in ranks)
        if not ranks or any(k < 1 or k > max_rank for k in ranks):
            raise ValueError(f'ranks must be non-empty and within [1, max_rank={max_rank}], '
                             f'got {ranks}')
        self.metric = metric
        self.max_rank = max_rank
        self.ranks = ranks
        self.num_draws = num_draws
        self.seed = seed
        self.block_size = block_size

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each sample's embedding, id, camera and query flag, in dataset order.

        Args:
            data_batch (dict): A batch from the dataloader (unused).
            data_samples (Sequence[dict]): ``DetDataSample.to_dict()`` outputs with
                ``pred_feature``, ``id_label``, ``cam_id``, ``is_query`` and ``img_id``.
        """
        for sample in data_samples:
            missing = [
                key for key in ('pred_feature', 'id_label', 'cam_id', 'is_query')
                if key not in sample
            ]
            if missing:
                raise KeyError(f"ReIDMetric: data sample {sample.get('img_id', '?')!r} lacks "
                               f'{missing}')
            feature = sample['pred_feature']
            if not isinstance(feature, torch.Tensor) or feature.dim() != 1:
                raise ValueError(f"ReIDMetric: pred_feature of {sample.get('img_id', '?')!r} "
                                 'must be a 1-D tensor')
            self.results.append(
                dict(
                    feature=feature.detach().cpu(),
                    id_label=int(sample['id_label']),
                    cam_id=int(sample['cam_id']),
                    is_query=bool(sample['is_query'])))

    def compute_metrics(self, results: list) -> dict:
        """Rank the gallery for every query under the dataset's protocol.

        Args:
            results (list): Outputs of :meth:`process` over the dataset.

        Returns:
            dict: ``R{k}``, ``mAP`` and ``mINP`` (veri) or ``R{k}``, ``R{k}_std``, ``mAP``,
            ``mAP_std`` (vehicleid).
        """
        meta = self.dataset_meta or {}
        protocol = meta.get('protocol')
        if protocol not in REID_PROTOCOLS:
            raise ValueError(f"ReIDMetric needs dataset_meta['protocol'] in {REID_PROTOCOLS}, "
                             f'got {protocol!r}')
        if not results:
            raise ValueError('ReIDMetric received no samples')
        feats = torch.stack([r['feature'] for r in results])
        pids = np.array([r['id_label'] for r in results], dtype=np.int64)
        if protocol == 'vehicleid':
            return self._vehicleid(feats, pids)
        camids = np.array([r['cam_id'] for r in results], dtype=np.int64)
        is_query = np.array([r['is_query'] for r in results], dtype=bool)
        if not is_query.any() or is_query.all():
            raise ValueError(f'the veri protocol needs queries and gallery images, got '
                             f'{int(is_query.sum())} queries among {len(results)} samples')
        q_rows = torch.from_numpy(np.flatnonzero(is_query))
        g_rows = torch.from_numpy(np.flatnonzero(~is_query))
        cmc, mean_ap, mean_inp = evaluate_rank_features(
            feats[q_rows], feats[g_rows], pids[is_query], pids[~is_query], camids[is_query],
            camids[~is_query], metric=self.metric, max_rank=self.max_rank,
            block_size=self.block_size)
        metrics = {f'R{k}': float(cmc[k - 1]) for k in self.ranks}
        metrics.update(mAP=float(mean_ap), mINP=float(mean_inp))
        return metrics

    def _vehicleid(self, feats: torch.Tensor, pids: np.ndarray) -> dict:
        """VehicleID draws; logs the seeds and the per-draw Rank-1 and mAP."""
        res = evaluate_vehicleid(
            feats, pids, num_draws=self.num_draws, seed=self.seed, metric=self.metric,
            max_rank=self.max_rank, block_size=self.block_size)
        per_draw = res['per_draw']
        print_log(
            f"VehicleID: {self.num_draws} gallery draws, seeds {res['seeds']}; Rank-1 per "
            f"draw {np.round(per_draw['cmc'][:, 0], 4).tolist()}, mAP per draw "
            f"{np.round(per_draw['mAP'], 4).tolist()}",
            logger='current')
        metrics = {}
        for k in self.ranks:
            values = per_draw['cmc'][:, k - 1]
            metrics[f'R{k}'] = float(values.mean())
            metrics[f'R{k}_std'] = float(values.std())
        metrics.update(mAP=res['mAP'], mAP_std=res['mAP_std'])
        return metrics
