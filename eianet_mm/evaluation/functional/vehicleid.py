"""VehicleID re-ID protocol: random one-image-per-id galleries, repeated with seeds."""
from typing import Dict, Union

import numpy as np
import torch
from torch import Tensor

from .distance import as_feature_tensor, check_metric
from .rank import ArrayLike, as_id_array, check_rank_options, rank_features


def draw_vehicleid_gallery(pids: np.ndarray, seed: int) -> np.ndarray:
    """Pick one random image per id as the gallery.

    Args:
        pids (np.ndarray): Vehicle ids of all test images, shape ``[N]``.
        seed (int): Seed of ``np.random.default_rng`` for this draw.

    Returns:
        np.ndarray: bool mask, shape ``[N]``: True for the gallery image of each id.
    """
    keys = np.random.default_rng(seed).random(pids.shape[0])
    order = np.lexsort((keys, pids))  # by id, then by random key
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = pids[order[1:]] != pids[order[:-1]]
    is_gallery = np.zeros(pids.shape[0], dtype=bool)
    is_gallery[order[first]] = True
    return is_gallery


def evaluate_vehicleid(feats: Union[np.ndarray, Tensor],
                       pids: ArrayLike,
                       num_draws: int = 10,
                       seed: int = 0,
                       metric: str = 'euclidean',
                       max_rank: int = 50,
                       block_size: int = 256) -> Dict[str, object]:
    """VehicleID re-ID: ``num_draws`` random galleries of one image per id.

    Draw ``i`` uses ``np.random.default_rng(seed + i)``: one image of each id goes to the
    gallery, every other image is a query, and there is no camera removal. Ids with a single
    image only ever sit in the gallery. With one true match per query, mAP equals the mean
    reciprocal rank.

    Args:
        feats (np.ndarray | Tensor): Embeddings of the test images, shape ``[N, D]``.
        pids (np.ndarray | Tensor | Sequence[int]): Vehicle ids, shape ``[N]``.
        num_draws (int): Number of gallery draws. Defaults to 10.
        seed (int): Seed of the first draw. Defaults to 0.
        metric (str): ``'euclidean'`` (squared) or ``'cosine'``. Defaults to 'euclidean'.
        max_rank (int): Length of the CMC curves. Defaults to 50.
        block_size (int): Queries per block. Defaults to 256.

    Returns:
        dict: ``R1``, ``R1_std``, ``R5``, ``R5_std``, ``mAP``, ``mAP_std`` (fractions; mean
        and population std over draws), ``cmc`` (mean curve, ``[max_rank]``), ``seeds``
        (list of the draws' seeds) and ``per_draw`` (``{'cmc': [num_draws, max_rank],
        'mAP': [num_draws], 'num_query': [num_draws]}``).
    """
    check_rank_options(max_rank, block_size)
    check_metric(metric)
    if isinstance(num_draws, bool) or not isinstance(num_draws, (int, np.integer)) \
            or num_draws < 1:
        raise ValueError(f'num_draws must be a positive integer, got {num_draws!r}')
    x = as_feature_tensor(feats, 'feats')
    ids = as_id_array(pids, 'pids', x.shape[0])
    if max_rank < 5:
        raise ValueError(f'max_rank must be at least 5 to report Rank-5, got {max_rank}')
    if np.unique(ids).shape[0] == ids.shape[0]:
        raise ValueError('every id has a single image: no VehicleID query can be formed')
    seeds = [int(seed) + i for i in range(num_draws)]
    cmcs, aps, num_query = [], [], []
    for draw_seed in seeds:
        is_gallery = draw_vehicleid_gallery(ids, draw_seed)
        g_index = np.flatnonzero(is_gallery)
        q_index = np.flatnonzero(~is_gallery)
        q_rows = torch.from_numpy(q_index).to(x.device)
        g_rows = torch.from_numpy(g_index).to(x.device)
        cmc, mean_ap, _ = rank_features(x[q_rows], x[g_rows], ids[q_index], ids[g_index],
                                        None, None, metric, max_rank, block_size)
        cmcs.append(cmc)
        aps.append(mean_ap)
        num_query.append(int(q_index.shape[0]))
    cmcs = np.stack(cmcs)
    aps = np.asarray(aps)
    return dict(
        R1=float(cmcs[:, 0].mean()),
        R1_std=float(cmcs[:, 0].std()),
        R5=float(cmcs[:, 4].mean()),
        R5_std=float(cmcs[:, 4].std()),
        mAP=float(aps.mean()),
        mAP_std=float(aps.std()),
        cmc=cmcs.mean(axis=0),
        seeds=seeds,
        per_draw=dict(cmc=cmcs, mAP=aps, num_query=np.asarray(num_query)))
