"""Embedding distances: squared Euclidean (the paper), cosine after L2 normalisation, or the
co-detected-parts distance of a CR-MAC embedding.

Plain torch; ``numpy`` arrays are accepted and converted without a copy where possible.
Distances are only ever used to rank or to score, so the squared Euclidean distance is not
clamped at zero (clamping would turn tiny negative rounding errors into artificial ties).
"""
import re
from typing import NamedTuple, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

DISTANCE_METRICS = ('euclidean', 'cosine', 'codetected:<parts>x<channels>')
_CODETECTED = re.compile(r'codetected:(\d+)x(\d+)')


class CoDetectedLayout(NamedTuple):
    """The R-MAC layout a ``'codetected:<parts>x<channels>'`` metric names."""
    num_parts: int
    part_dims: int


def codetected_layout(metric: str) -> Optional[CoDetectedLayout]:
    """The layout of a ``'codetected:NxK'`` metric; None for another (valid) metric."""
    match = _CODETECTED.fullmatch(metric) if isinstance(metric, str) else None
    if match is None:
        return None
    layout = CoDetectedLayout(int(match.group(1)), int(match.group(2)))
    if min(layout) < 1:
        raise ValueError(f'distance metric {metric!r}: parts and channels must be >= 1')
    return layout


def check_metric_layout(metric: str, num_parts: int, part_dims: int, source: str) -> str:
    """Return ``metric`` after checking that a ``'codetected:NxK'`` metric names the model's
    R-MAC layout (``num_parts`` x ``part_dims``, from ``source``); raise a ValueError if not.
    """
    layout = codetected_layout(check_metric(metric))
    if layout is not None and tuple(layout) != (num_parts, part_dims):
        raise ValueError(f'{source}: distance metric {metric!r} names {layout.num_parts} parts '
                         f'x {layout.part_dims} channels, but the model has {num_parts} parts x '
                         f'{part_dims} channels; use codetected:{num_parts}x{part_dims}')
    return metric


def check_metric(metric: str) -> str:
    """Return ``metric`` if it is a known distance, else raise a ValueError.

    Args:
        metric (str): ``'euclidean'`` (squared Euclidean distance), ``'cosine'``
            (``1 - cos`` of the L2-normalised embeddings) or ``'codetected:NxK'`` (a
            CR-MAC embedding whose first N*K values are N part vectors of K channels, zero
            for a missed part; see :func:`prepare_features`).

    Returns:
        str: ``metric``.
    """
    if metric in ('euclidean', 'cosine') or codetected_layout(metric) is not None:
        return metric
    raise ValueError(f'unknown distance metric {metric!r}; expected one of '
                     f'{DISTANCE_METRICS}')


def as_feature_tensor(feats: Union[np.ndarray, Tensor], name: str) -> Tensor:
    """Check an embedding matrix and return it as a floating-point tensor.

    float16 / bfloat16 inputs are promoted to float32; float32 and float64 are kept. A tensor
    keeps its device; a numpy array becomes a CPU tensor (sharing memory when possible).

    Args:
        feats (np.ndarray | Tensor): Embeddings, shape ``[N, D]``.
        name (str): Name used in error messages.

    Returns:
        Tensor: The embeddings, shape ``[N, D]``.
    """
    if isinstance(feats, Tensor):
        x = feats.detach()
    else:
        arr = np.asarray(feats)
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f'{name} must be numeric, got dtype {arr.dtype}')
        x = torch.from_numpy(np.ascontiguousarray(arr))
    if x.dim() != 2:
        raise ValueError(f'{name} must have shape [N, D], got {tuple(x.shape)}')
    if x.shape[1] == 0:
        raise ValueError(f'{name} has feature dimension 0')
    if not x.is_floating_point():
        x = x.to(torch.float64)
    elif x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    if x.numel() > 0 and not bool(torch.isfinite(torch.stack(torch.aminmax(x))).all()):
        bad = int((~torch.isfinite(x).all(dim=1)).nonzero()[0, 0])
        raise ValueError(f'{name} has non-finite values (first in row {bad})')
    return x


def prepare_features(feats: Tensor, metric: str) -> Tensor:
    """Bring embeddings into the form :func:`block_distance` expects.

    For ``'codetected:NxK'`` the first N*K values of a row are N part vectors (R-MAC, part
    order), the rest (C >= 0 values) the global branch. A part vector that is all zeros is a
    missed part. The prepared row is ``[unit part vectors (zero when missed) (N*K), unit
    global vector (C), detected flags (N)]``, and the distance of two rows (not in the
    paper, whose losses "only calculate the differences among co-detected key vehicle
    parts") is the mean over the parts detected in both of ``|a_j - b_j|^2``, plus
    ``|a_g - b_g|^2`` of the unit global vectors, halved. When no part is detected in both
    it is the global term alone (without a global branch: 2, unit vectors at a right
    angle): a pair that shares no part is judged by what it shares, not pushed apart
    (docs/synthcars_learning.md, section 11). With every part detected in both
    images the part term is the squared Euclidean distance of the concatenated unit part
    vectors divided by N; a part seen in one image only does not count, so the distance does
    not grow with the viewpoint as that of zero-padded vectors does.

    Args:
        feats (Tensor): Embeddings, shape ``[N, D]``.
        metric (str): See :func:`check_metric`.

    Returns:
        Tensor: ``feats`` for ``'euclidean'``; the L2-normalised rows for ``'cosine'``; the
        prepared rows above (``[N, D + num_parts]``) for ``'codetected'``.
    """
    layout = codetected_layout(check_metric(metric))
    if layout is not None:
        num, dims = layout
        if feats.shape[1] < num * dims:
            raise ValueError(f'distance metric {metric!r} needs embeddings of at least '
                             f'{num * dims} values ({num} parts x {dims}), got {feats.shape[1]}')
        parts = feats[:, :num * dims].reshape(-1, num, dims)
        detected = (parts != 0).any(dim=2)
        unit_parts = F.normalize(parts, p=2, dim=2).flatten(1)
        unit_global = F.normalize(feats[:, num * dims:], p=2, dim=1)
        return torch.cat([unit_parts, unit_global, detected.to(feats.dtype)], dim=1)
    if metric == 'cosine':
        return F.normalize(feats, p=2, dim=1)
    return feats


def _codetected_columns(prepared: Tensor, layout: CoDetectedLayout) -> Tuple[Tensor, Tensor,
                                                                             Optional[Tensor]]:
    """Part vectors, detected flags and global vector (None when absent) of prepared rows."""
    split = layout.num_parts * layout.part_dims
    flags = prepared.shape[1] - layout.num_parts
    return (prepared[:, :split], prepared[:, flags:],
            prepared[:, split:flags] if flags > split else None)


def _codetected_distance(parts_dot: Tensor, common: Tensor,
                         global_dot: Optional[Tensor]) -> Tensor:
    """The co-detected distance from the part-vector dot products summed over the common
    parts, the number of common parts and the global dot product (None without a global
    branch); any broadcastable shapes."""
    part_term = torch.where(common > 0, 2 - 2 * parts_dot / common.clamp(min=1),
                            torch.full_like(parts_dot, 2.0))
    if global_dot is None:
        return part_term
    global_term = 2 - 2 * global_dot
    return torch.where(common > 0, (part_term + global_term) / 2, global_term)


def squared_norms(feats: Tensor) -> Tensor:
    """Row-wise squared L2 norms, shape ``[N]``."""
    return (feats * feats).sum(dim=1)


def block_distance(q: Tensor,
                   g: Tensor,
                   metric: str,
                   g_sq: Optional[Tensor] = None,
                   out: Optional[Tensor] = None) -> Tensor:
    """Distances between prepared query rows and prepared gallery rows, one matmul.

    Args:
        q (Tensor): Prepared query embeddings (:func:`prepare_features`), shape ``[B, D]``.
        g (Tensor): Prepared gallery embeddings, shape ``[G, D]``.
        metric (str): ``'euclidean'`` (``|q|^2 + |g|^2 - 2 q.g``), ``'cosine'``
            (``1 - q.g`` of normalised rows) or ``'codetected:NxK'`` (two matmuls: part
            vectors and detected flags; see :func:`prepare_features`).
        g_sq (Tensor, optional): :func:`squared_norms` of ``g`` (Euclidean only), computed
            here when None. Defaults to None.
        out (Tensor, optional): Output buffer of shape ``[B, G]`` and ``q``'s dtype.
            Defaults to None.

    Returns:
        Tensor: Distances, shape ``[B, G]``.
    """
    num_q, num_g = q.shape[0], g.shape[0]
    layout = codetected_layout(check_metric(metric))
    if layout is not None:
        (q_parts, q_flags, q_global), (g_parts, g_flags, g_global) = (
            _codetected_columns(q, layout), _codetected_columns(g, layout))
        dist = _codetected_distance(q_parts @ g_parts.t(), q_flags @ g_flags.t(),
                                    None if q_global is None else q_global @ g_global.t())
        return out.copy_(dist) if out is not None else dist
    if metric == 'euclidean':
        if g_sq is None:
            g_sq = squared_norms(g)
        dist = torch.addmm(
            g_sq.unsqueeze(0).expand(num_q, num_g), q, g.t(), beta=1, alpha=-2, out=out)
        return dist.add_(squared_norms(q).unsqueeze(1))
    ones = torch.ones((), dtype=q.dtype, device=q.device).expand(num_q, num_g)
    return torch.addmm(ones, q, g.t(), beta=1, alpha=-1, out=out)


def pairwise_distance(x: Union[np.ndarray, Tensor],
                      y: Union[np.ndarray, Tensor],
                      metric: str = 'euclidean') -> Tensor:
    """Dense distance matrix between two sets of embeddings.

    Args:
        x (np.ndarray | Tensor): Embeddings, shape ``[M, D]``.
        y (np.ndarray | Tensor): Embeddings, shape ``[N, D]``.
        metric (str): ``'euclidean'`` (squared), ``'cosine'`` or ``'codetected:NxK'``
            (:func:`prepare_features`). Defaults to 'euclidean'.

    Returns:
        Tensor: Distances, shape ``[M, N]``, in the promoted dtype of ``x`` and ``y``.
    """
    x = as_feature_tensor(x, 'x')
    y = as_feature_tensor(y, 'y')
    if x.shape[1] != y.shape[1]:
        raise ValueError(f'feature dimensions differ: x has {x.shape[1]}, y has {y.shape[1]}')
    dtype = torch.promote_types(x.dtype, y.dtype)
    x = prepare_features(x.to(dtype), metric)
    y = prepare_features(y.to(dtype), metric)
    return block_distance(x, y, metric)


def paired_distance(x: Union[np.ndarray, Tensor],
                    y: Union[np.ndarray, Tensor],
                    metric: str = 'euclidean') -> Tensor:
    """Distance between row ``i`` of ``x`` and row ``i`` of ``y`` for every ``i``.

    Args:
        x (np.ndarray | Tensor): Embeddings, shape ``[N, D]``.
        y (np.ndarray | Tensor): Embeddings, shape ``[N, D]``.
        metric (str): ``'euclidean'`` (squared), ``'cosine'`` or ``'codetected:NxK'``
            (:func:`prepare_features`). Defaults to 'euclidean'.

    Returns:
        Tensor: Distances, shape ``[N]``.
    """
    x = as_feature_tensor(x, 'x')
    y = as_feature_tensor(y, 'y')
    if x.shape != y.shape:
        raise ValueError(f'paired embeddings must have the same shape, got {tuple(x.shape)} '
                         f'and {tuple(y.shape)}')
    dtype = torch.promote_types(x.dtype, y.dtype)
    x = prepare_features(x.to(dtype), metric)
    y = prepare_features(y.to(dtype), metric)
    layout = codetected_layout(metric)
    if layout is not None:
        (x_parts, x_flags, x_global), (y_parts, y_flags, y_global) = (
            _codetected_columns(x, layout), _codetected_columns(y, layout))
        return _codetected_distance((x_parts * y_parts).sum(dim=1),
                                    (x_flags * y_flags).sum(dim=1),
                                    None if x_global is None else (x_global * y_global).sum(dim=1))
    if metric == 'euclidean':
        diff = x - y
        return (diff * diff).sum(dim=1)
    return 1 - (x * y).sum(dim=1)
