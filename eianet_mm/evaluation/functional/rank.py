"""Re-ID ranking metrics (CMC, mAP, mINP) under the VeRi-776 / Market-1501 rule.

The rule (fast-reid ``eval_reid.py``, torchreid ``eval_market1501``): for each query, gallery
images with the query's id **and** camera are removed ("junk"); a query left with no true match
is skipped and counts nowhere; AP is the mean of precision@k at each true match over the whole
ranked list (no interpolation); CMC is clipped to 1 and cut at ``max_rank``; mINP is
``#matches / rank of the last match`` (fast-reid); all three are averaged over valid queries.

Ranking is the stable ascending sort of the distances: equal distances keep gallery order
(``np.argsort(kind='stable')``).

No row is ever sorted. The rank of each true match is counted instead: with the true matches
of a query sorted by (distance, gallery index), one batched ``searchsorted`` of the whole row
against them gives, for every other gallery image, how many true matches precede it; a
histogram of those counts, cumulated, is the number of other images ranked before each match.
Exact ties between a match and another image are resolved by gallery index. This costs
``O(G log P)`` per query instead of ``O(G log G)`` and needs no ``[Q, G]`` index matrix;
queries are processed in blocks so peak memory is ``O(block_size * G)``.
"""
import math
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from .distance import as_feature_tensor, block_distance, prepare_features, squared_norms

ArrayLike = Union[np.ndarray, Tensor, Sequence[int]]


def as_id_array(values: ArrayLike, name: str, length: Optional[int] = None) -> np.ndarray:
    """Check a 1-D array of integer ids (identities or cameras) and return it as int64.

    Args:
        values (np.ndarray | Tensor | Sequence[int]): The ids.
        name (str): Name used in error messages.
        length (int, optional): Required length. Defaults to None.

    Returns:
        np.ndarray: int64 array.
    """
    arr = values.detach().cpu().numpy() if isinstance(values, Tensor) else np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f'{name} must be 1-D, got shape {arr.shape}')
    if length is not None and arr.shape[0] != length:
        raise ValueError(f'{name} has {arr.shape[0]} entries, expected {length}')
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f'{name} must hold integers, got dtype {arr.dtype}')
    return arr.astype(np.int64, copy=False)


def searchsorted_rows(sorted_seq: Tensor, values: Tensor, out: Tensor,
                      num_workers: int = 1) -> Tensor:
    """Row-wise ``torch.searchsorted`` (left side), split over threads on CPU.

    ``torch.searchsorted`` runs on one core; its kernel releases the GIL, so row chunks run in
    parallel in a thread pool.

    Args:
        sorted_seq (Tensor): Rows sorted ascending, shape ``[B, P]``.
        values (Tensor): Values to locate, shape ``[B, G]``.
        out (Tensor): int64 output, shape ``[B, G]``, contiguous.
        num_workers (int): Threads (CPU only). Defaults to 1.

    Returns:
        Tensor: ``out``: ``out[r, n] = #{k : sorted_seq[r, k] < values[r, n]}``.
    """
    num_rows = values.shape[0]
    if num_workers <= 1 or num_rows < 2 or values.device.type != 'cpu':
        return torch.searchsorted(sorted_seq, values, out=out)
    bounds = np.linspace(0, num_rows, min(num_workers, num_rows) + 1).astype(int)
    with ThreadPoolExecutor(len(bounds) - 1) as pool:
        jobs = [
            pool.submit(torch.searchsorted, sorted_seq[s:e], values[s:e], out=out[s:e])
            for s, e in zip(bounds[:-1], bounds[1:])
        ]
        for job in jobs:
            job.result()
    return out


class _Gallery:
    """Gallery ids and cameras with a lookup from an id to its gallery images."""

    def __init__(self, pids: np.ndarray, camids: Optional[np.ndarray],
                 device: torch.device) -> None:
        self.pids = torch.from_numpy(pids).to(device)
        self.camids = None if camids is None else torch.from_numpy(camids).to(device)
        self.order = torch.from_numpy(np.argsort(pids, kind='stable')).to(device)
        self.sorted_pids = self.pids[self.order].contiguous()
        self.size = int(pids.shape[0])


class _Workspace:
    """Reusable ``[block_size, G]`` buffers, so that blocks do not fault in fresh pages."""

    def __init__(self) -> None:
        self._buffers: Dict[Tuple[str, torch.dtype], Tensor] = {}

    def get(self, name: str, shape: Tuple[int, int], dtype: torch.dtype,
            device: torch.device) -> Tensor:
        numel = shape[0] * shape[1]
        buf = self._buffers.get((name, dtype))
        if buf is None or buf.numel() < numel or buf.device != device:
            buf = torch.empty(numel, dtype=dtype, device=device)
            self._buffers[(name, dtype)] = buf
        return buf[:numel].view(shape)


def _rank_block(dist: Tensor, q_pids: Tensor, q_camids: Optional[Tensor], gallery: _Gallery,
                work: _Workspace, num_workers: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per-query results for one block of distance rows.

    Args:
        dist (Tensor): Distances, shape ``[B, G]``, finite.
        q_pids (Tensor): Query ids, shape ``[B]``.
        q_camids (Tensor, optional): Query cameras, shape ``[B]``; None: no junk removal.
        gallery (_Gallery): The gallery.
        work (_Workspace): Buffers.
        num_workers (int): Threads for ``searchsorted``.

    Returns:
        tuple[Tensor]: ``num_matches`` (int64, 0 for a skipped query), ``first_rank``
        (int64, 1-based rank of the first true match), ``ap`` and ``inp`` (float64), each
        shape ``[B]``.
    """
    num_q, num_g = dist.shape
    device = dist.device
    # Gallery images sharing the query's id: [B, M] gallery indices, ascending.
    lo = torch.searchsorted(gallery.sorted_pids, q_pids)
    count = torch.searchsorted(gallery.sorted_pids, q_pids, right=True) - lo
    max_same = int(count.max())
    zeros_i = torch.zeros(num_q, dtype=torch.int64, device=device)
    zeros_f = torch.zeros(num_q, dtype=torch.float64, device=device)
    if max_same == 0:
        return zeros_i, zeros_i, zeros_f, zeros_f
    arange_m = torch.arange(max_same, device=device)
    same = arange_m.unsqueeze(0) < count.unsqueeze(1)
    same_idx = gallery.order[(lo.unsqueeze(1) + arange_m).clamp_(max=num_g - 1)]
    is_match = same.clone()
    if q_camids is not None:
        is_match &= gallery.camids[same_idx] != q_camids.unsqueeze(1)
    num_matches = is_match.sum(dim=1)
    max_matches = int(num_matches.max())
    if max_matches == 0:
        return zeros_i, zeros_i, zeros_f, zeros_f

    # True matches sorted by (distance, gallery index); +inf / G pad the shorter rows.
    inf = torch.tensor(math.inf, dtype=dist.dtype, device=device)
    match_dist, perm = torch.sort(
        dist.gather(1, same_idx).masked_fill_(~is_match, inf), dim=1, stable=True)
    match_dist = match_dist[:, :max_matches].contiguous()
    match_idx = same_idx.masked_fill(~is_match, num_g).gather(1, perm)[:, :max_matches]
    bounds = torch.cat([match_dist, inf.expand(num_q, 1)], dim=1).contiguous()

    # before[r, n]: true matches with a smaller distance than gallery image n.
    before = work.get('before', (num_q, num_g), torch.int64, device)
    searchsorted_rows(bounds, dist, before, num_workers)
    hist = torch.zeros(num_q, max_matches + 1, dtype=torch.int64, device=device)
    hist.scatter_add_(1, before, torch.ones((), dtype=torch.int64, device=device).expand(
        num_q, num_g))
    # Same-id images (matches and junk) are not "other" images: take them out again.
    hist.scatter_add_(1, before.gather(1, same_idx), -same.long())

    # Other images at exactly a match's distance: the one with the lower gallery index
    # ranks first. Move each from bin `left` to `left + #tied matches with a lower index`.
    bound_of = work.get('bound_of', (num_q, num_g), dist.dtype, device)
    tied = work.get('tied', (num_q, num_g), torch.bool, device)
    torch.eq(torch.gather(bounds, 1, before, out=bound_of), dist, out=tied)
    tie_q, tie_g = tied.nonzero(as_tuple=True)
    other = gallery.pids[tie_g] != q_pids[tie_q]
    tie_q, tie_g = tie_q[other], tie_g[other]
    if tie_q.numel() > 0:
        # One sorted key per match: (row, first slot of its distance group, gallery index).
        group = torch.searchsorted(match_dist, match_dist)
        row_base = torch.arange(num_q, device=device).unsqueeze(1) * max_matches
        keys = ((row_base + group) * (num_g + 1) + match_idx).reshape(-1)
        left = before[tie_q, tie_g]
        base = tie_q * max_matches + left
        lower = torch.searchsorted(keys, base * (num_g + 1) + tie_g) - base
        ones = torch.ones_like(left)
        hist.index_put_((tie_q, left), -ones, accumulate=True)
        hist.index_put_((tie_q, left + lower), ones, accumulate=True)

    # rank[r, k]: 1-based position of the (k+1)-th true match once junk is removed.
    arange_p = torch.arange(1, max_matches + 1, device=device)
    rank = arange_p + hist[:, :max_matches].cumsum(dim=1)
    in_row = arange_p.unsqueeze(0) <= num_matches.unsqueeze(1)
    precision = (arange_p.double() / rank.double()).masked_fill_(~in_row, 0)
    ap = precision.sum(dim=1) / num_matches.clamp(min=1).double()
    last_rank = rank.gather(1, (num_matches - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
    inp = num_matches.double() / last_rank.double()
    valid = num_matches > 0
    return (num_matches, rank[:, 0].masked_fill(~valid, 0), ap.masked_fill(~valid, 0),
            inp.masked_fill(~valid, 0))


class _Accumulator:
    """Sums per-query results over blocks."""

    def __init__(self, max_rank: int) -> None:
        self.max_rank = max_rank
        self.num_valid = 0
        self.sum_ap = 0.0
        self.sum_inp = 0.0
        self.first_rank_hist = np.zeros(max_rank + 2, dtype=np.int64)

    def add(self, num_matches: Tensor, first_rank: Tensor, ap: Tensor, inp: Tensor) -> None:
        valid = num_matches > 0
        self.num_valid += int(valid.sum())
        self.sum_ap += float(ap.sum())
        self.sum_inp += float(inp.sum())
        clipped = first_rank[valid].clamp(max=self.max_rank + 1).cpu().numpy()
        self.first_rank_hist += np.bincount(clipped, minlength=self.max_rank + 2)

    def result(self) -> Tuple[np.ndarray, float, float]:
        if self.num_valid == 0:
            raise ValueError(
                'no valid query: no query has a true match left in the gallery (after removing '
                'gallery images with the same id and the same camera as the query)')
        cmc = np.cumsum(self.first_rank_hist[1:self.max_rank + 1]) / self.num_valid
        return cmc, self.sum_ap / self.num_valid, self.sum_inp / self.num_valid


def check_rank_options(max_rank: int, block_size: int) -> None:
    """Raise a ValueError unless ``max_rank`` and ``block_size`` are positive integers."""
    if isinstance(max_rank, bool) or not isinstance(max_rank, (int, np.integer)) \
            or max_rank < 1:
        raise ValueError(f'max_rank must be a positive integer, got {max_rank!r}')
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) \
            or block_size < 1:
        raise ValueError(f'block_size must be a positive integer, got {block_size!r}')


def evaluate_rank(distmat: Union[np.ndarray, Tensor],
                  q_pids: ArrayLike,
                  g_pids: ArrayLike,
                  q_camids: ArrayLike,
                  g_camids: ArrayLike,
                  max_rank: int = 50,
                  block_size: int = 256) -> Tuple[np.ndarray, float, float]:
    """CMC, mAP and mINP from a query-gallery distance matrix (VeRi rule).

    Ranking is ascending distance, ties kept in gallery order (stable sort). The returned CMC
    always has ``max_rank`` entries: where a query's gallery (after junk removal) is shorter
    than ``max_rank``, its curve is padded with its last value (1, as every counted query has
    a match), unlike fast-reid which shortens the curve to the gallery size.

    Args:
        distmat (np.ndarray | Tensor): Distances, shape ``[Q, G]``, finite; smaller = closer.
        q_pids (np.ndarray | Tensor | Sequence[int]): Query ids, shape ``[Q]``.
        g_pids (np.ndarray | Tensor | Sequence[int]): Gallery ids, shape ``[G]``.
        q_camids (np.ndarray | Tensor | Sequence[int]): Query cameras, shape ``[Q]``.
        g_camids (np.ndarray | Tensor | Sequence[int]): Gallery cameras, shape ``[G]``.
        max_rank (int): Length of the CMC curve. Defaults to 50.
        block_size (int): Queries processed together; the working memory is about
            ``(9 + itemsize) * block_size * G`` bytes besides ``distmat``. Defaults to 256.

    Returns:
        tuple: ``cmc`` (np.ndarray float64, ``[max_rank]``, fractions), ``mAP`` (float) and
        ``mINP`` (float), averaged over the queries that keep a true match.
    """
    check_rank_options(max_rank, block_size)
    if isinstance(distmat, Tensor):
        dist_all = distmat.detach()
    else:
        arr = np.asarray(distmat)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f'distmat must be numeric, got dtype {arr.dtype}')
        dist_all = torch.from_numpy(np.ascontiguousarray(arr))
    if dist_all.dim() != 2:
        raise ValueError(f'distmat must have shape [Q, G], got {tuple(dist_all.shape)}')
    num_q, num_g = dist_all.shape
    if num_q == 0 or num_g == 0:
        raise ValueError(f'distmat is empty: shape {tuple(dist_all.shape)}')
    if not dist_all.is_floating_point():
        dist_all = dist_all.double()
    q_pids = as_id_array(q_pids, 'q_pids', num_q)
    g_pids = as_id_array(g_pids, 'g_pids', num_g)
    q_camids = as_id_array(q_camids, 'q_camids', num_q)
    g_camids = as_id_array(g_camids, 'g_camids', num_g)

    device = dist_all.device
    gallery = _Gallery(g_pids, g_camids, device)
    q_pids_t = torch.from_numpy(q_pids).to(device)
    q_camids_t = torch.from_numpy(q_camids).to(device)
    work = _Workspace()
    acc = _Accumulator(max_rank)
    for start in range(0, num_q, block_size):
        stop = min(start + block_size, num_q)
        dist = dist_all[start:stop].contiguous()
        if not bool(torch.isfinite(torch.stack(torch.aminmax(dist))).all()):
            row = start + int((~torch.isfinite(dist).all(dim=1)).nonzero()[0, 0])
            raise ValueError(f'distmat has non-finite values (first in query row {row})')
        acc.add(*_rank_block(dist, q_pids_t[start:stop], q_camids_t[start:stop], gallery,
                             work, torch.get_num_threads()))
    return acc.result()


def rank_features(q_feats: Tensor, g_feats: Tensor, q_pids: np.ndarray, g_pids: np.ndarray,
                  q_camids: Optional[np.ndarray], g_camids: Optional[np.ndarray], metric: str,
                  max_rank: int, block_size: int) -> Tuple[np.ndarray, float, float]:
    """:func:`evaluate_rank_features` on checked inputs, optionally without junk removal.

    Args:
        q_feats (Tensor): Query embeddings, shape ``[Q, D]``, finite.
        g_feats (Tensor): Gallery embeddings, shape ``[G, D]``, finite.
        q_pids (np.ndarray): int64 query ids, shape ``[Q]``.
        g_pids (np.ndarray): int64 gallery ids, shape ``[G]``.
        q_camids (np.ndarray, optional): int64 query cameras; None removes no gallery image
            (VehicleID).
        g_camids (np.ndarray, optional): int64 gallery cameras (unused when ``q_camids`` is
            None).
        metric (str): ``'euclidean'`` or ``'cosine'``.
        max_rank (int): Length of the CMC curve.
        block_size (int): Queries per block.

    Returns:
        tuple: ``cmc``, ``mAP``, ``mINP`` as in :func:`evaluate_rank`.
    """
    device = q_feats.device
    dtype = torch.promote_types(q_feats.dtype, g_feats.dtype)
    q = prepare_features(q_feats.to(dtype), metric)
    g = prepare_features(g_feats.to(device=device, dtype=dtype), metric).contiguous()
    g_sq = squared_norms(g) if metric == 'euclidean' else None
    gallery = _Gallery(g_pids, g_camids, device)
    q_pids_t = torch.from_numpy(q_pids).to(device)
    q_camids_t = None if q_camids is None else torch.from_numpy(q_camids).to(device)
    work = _Workspace()
    acc = _Accumulator(max_rank)
    for start in range(0, q.shape[0], block_size):
        stop = min(start + block_size, q.shape[0])
        out = work.get('dist', (stop - start, g.shape[0]), dtype, device)
        dist = block_distance(q[start:stop], g, metric, g_sq=g_sq, out=out)
        acc.add(*_rank_block(dist, q_pids_t[start:stop],
                             None if q_camids_t is None else q_camids_t[start:stop], gallery,
                             work, torch.get_num_threads()))
    return acc.result()


def evaluate_rank_features(q_feats: Union[np.ndarray, Tensor],
                           g_feats: Union[np.ndarray, Tensor],
                           q_pids: ArrayLike,
                           g_pids: ArrayLike,
                           q_camids: ArrayLike,
                           g_camids: ArrayLike,
                           metric: str = 'euclidean',
                           max_rank: int = 50,
                           block_size: int = 256) -> Tuple[np.ndarray, float, float]:
    """CMC, mAP and mINP from query and gallery embeddings, in query blocks (VeRi rule).

    Distances of ``block_size`` queries to the whole gallery are computed with one matmul and
    ranked as in :func:`evaluate_rank` (same results on the same distances); no ``[Q, G]``
    matrix is ever held. Computation runs on the device of ``q_feats`` (a CPU tensor for
    numpy input), in the promoted dtype of the two feature matrices.

    Args:
        q_feats (np.ndarray | Tensor): Query embeddings, shape ``[Q, D]``.
        g_feats (np.ndarray | Tensor): Gallery embeddings, shape ``[G, D]``.
        q_pids (np.ndarray | Tensor | Sequence[int]): Query ids, shape ``[Q]``.
        g_pids (np.ndarray | Tensor | Sequence[int]): Gallery ids, shape ``[G]``.
        q_camids (np.ndarray | Tensor | Sequence[int]): Query cameras, shape ``[Q]``.
        g_camids (np.ndarray | Tensor | Sequence[int]): Gallery cameras, shape ``[G]``.
        metric (str): ``'euclidean'`` (squared Euclidean) or ``'cosine'`` (``1 - cos``).
            Defaults to 'euclidean'.
        max_rank (int): Length of the CMC curve. Defaults to 50.
        block_size (int): Queries per block; the working memory is about
            ``(9 + 2 * itemsize) * block_size * G`` bytes (17 in float32). Defaults to 256.

    Returns:
        tuple: ``cmc`` (np.ndarray float64, ``[max_rank]``), ``mAP`` (float), ``mINP``
        (float).
    """
    check_rank_options(max_rank, block_size)
    q = as_feature_tensor(q_feats, 'q_feats')
    g = as_feature_tensor(g_feats, 'g_feats')
    if q.shape[0] == 0 or g.shape[0] == 0:
        raise ValueError(f'empty query or gallery: {q.shape[0]} queries, {g.shape[0]} '
                         'gallery images')
    if q.shape[1] != g.shape[1]:
        raise ValueError(f'feature dimensions differ: q_feats has {q.shape[1]}, g_feats has '
                         f'{g.shape[1]}')
    return rank_features(
        q, g, as_id_array(q_pids, 'q_pids', q.shape[0]),
        as_id_array(g_pids, 'g_pids', g.shape[0]),
        as_id_array(q_camids, 'q_camids', q.shape[0]),
        as_id_array(g_camids, 'g_camids', g.shape[0]), metric, max_rank, block_size)
