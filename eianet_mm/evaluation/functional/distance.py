"""Embedding distances: squared Euclidean (the paper) or cosine after L2 normalisation.

Plain torch; ``numpy`` arrays are accepted and converted without a copy where possible.
Distances are only ever used to rank or to score, so the squared Euclidean distance is not
clamped at zero (clamping would turn tiny negative rounding errors into artificial ties).
"""
from typing import Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

DISTANCE_METRICS = ('euclidean', 'cosine')


def check_metric(metric: str) -> str:
    """Return ``metric`` if it is a known distance, else raise a ValueError.

    Args:
        metric (str): ``'euclidean'`` (squared Euclidean distance) or ``'cosine'``
            (``1 - cos`` of the L2-normalised embeddings).

    Returns:
        str: ``metric``.
    """
    if metric not in DISTANCE_METRICS:
        raise ValueError(f'unknown distance metric {metric!r}; expected one of '
                         f'{DISTANCE_METRICS}')
    return metric


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

    Args:
        feats (Tensor): Embeddings, shape ``[N, D]``.
        metric (str): ``'euclidean'`` or ``'cosine'``.

    Returns:
        Tensor: ``feats`` for ``'euclidean'``; the L2-normalised rows for ``'cosine'``.
    """
    if check_metric(metric) == 'cosine':
        return F.normalize(feats, p=2, dim=1)
    return feats


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
        metric (str): ``'euclidean'`` (``|q|^2 + |g|^2 - 2 q.g``) or ``'cosine'``
            (``1 - q.g`` of normalised rows).
        g_sq (Tensor, optional): :func:`squared_norms` of ``g`` (Euclidean only), computed
            here when None. Defaults to None.
        out (Tensor, optional): Output buffer of shape ``[B, G]`` and ``q``'s dtype.
            Defaults to None.

    Returns:
        Tensor: Distances, shape ``[B, G]``.
    """
    num_q, num_g = q.shape[0], g.shape[0]
    if check_metric(metric) == 'euclidean':
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
        metric (str): ``'euclidean'`` (squared) or ``'cosine'``. Defaults to 'euclidean'.

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
        metric (str): ``'euclidean'`` (squared) or ``'cosine'``. Defaults to 'euclidean'.

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
    if metric == 'euclidean':
        diff = x - y
        return (diff * diff).sum(dim=1)
    return 1 - (x * y).sum(dim=1)
