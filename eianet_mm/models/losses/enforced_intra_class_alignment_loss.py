"""Enforced intra-class alignment loss (EIAL, eq. 7 of the EIA-Net paper): pull the R-MAC
descriptors of the same key part of two images of one class together."""
from typing import Optional, Sequence

import torch
from torch import Tensor, nn

from mmdet.registry import MODELS

__all__ = [
    'enforced_intra_class_alignment_loss', 'part_alignment_ratio',
    'EnforcedIntraClassAlignmentLoss'
]


def _sample_pairs(labels: Tensor, num_pairs: int) -> Tensor:
    """Sorted indices into ``labels`` (one label per candidate pair) of at most
    ``num_pairs`` pairs per label, drawn uniformly without replacement with torch's default
    generator."""
    keys = torch.rand(labels.numel(), device=labels.device)
    order = keys.argsort()
    order = order[labels[order].argsort(stable=True)]  # grouped by label, random within
    _, group_sizes = torch.unique_consecutive(labels[order], return_counts=True)
    starts = torch.repeat_interleave(group_sizes.cumsum(0) - group_sizes, group_sizes)
    rank = torch.arange(order.numel(), device=labels.device) - starts
    return order[rank < num_pairs].sort().values


def _check_inputs(part_feats: Tensor, part_valid: Tensor, labels: Tensor) -> None:
    """Raise a clear error unless the shapes are ``[B, N_part, K]``, ``[B, N_part]`` (bool)
    and ``[B]``."""
    if part_feats.dim() != 3:
        raise ValueError(f'EIAL: part_feats must be [B, N_part, K], got shape '
                         f'{tuple(part_feats.shape)}')
    if part_valid.shape != part_feats.shape[:2]:
        raise ValueError(f'EIAL: part_valid must be [B, N_part] = '
                         f'{list(part_feats.shape[:2])}, got {list(part_valid.shape)}')
    if part_valid.dtype != torch.bool:
        raise TypeError(f'EIAL: part_valid must be a bool tensor, got {part_valid.dtype}')
    if labels.dim() != 1 or labels.numel() != part_feats.size(0):
        raise ValueError(f'EIAL: labels must be [B] with B = {part_feats.size(0)}, got '
                         f'shape {tuple(labels.shape)}')


def enforced_intra_class_alignment_loss(part_feats: Tensor,
                                        part_valid: Tensor,
                                        labels: Tensor,
                                        num_pairs: Optional[int] = None,
                                        part_mask: Optional[Tensor] = None) -> Tensor:
    """EIAL: mean over intra-class image pairs of the summed squared distances of their
    co-detected part descriptors.

    For every unordered pair (j, k), j < k, of samples with the same label, the pair's term
    is ``sum_i |x_ji - x_ki|^2`` over the parts i valid in both samples (and kept by
    ``part_mask``). A pair with no such part carries no alignment information and is not a
    pair of the loss: it neither adds a term nor counts in the mean, and is never sampled.

    Reduction: mean over the (sampled) pairs that have at least one co-detected part. With
    no such pair the loss is a zero connected to ``part_feats`` (gradient 0, never NaN).

    Args:
        part_feats (Tensor): Part descriptors, ``[B, N_part, K]``.
        part_valid (Tensor): Bool, ``[B, N_part]``: part detected in the sample.
        labels (Tensor): Integer class of each sample, ``[B]``.
        num_pairs (int, optional): Keep at most this many pairs per label (the paper's
            relaxation: 1), drawn uniformly without replacement among the label's pairs
            that have a co-detected part, with torch's default random generator (seed it
            with ``torch.manual_seed`` to reproduce). Defaults to None (all pairs).
        part_mask (Tensor, optional): Bool, ``[N_part]``: the parts that take part in the
            loss. Defaults to None (all parts).

    Returns:
        Tensor: The scalar loss, in the dtype of ``part_feats``.
    """
    _check_inputs(part_feats, part_valid, labels)
    valid = part_valid
    if part_mask is not None:
        valid = valid & part_mask[None, :]
    same = labels[:, None] == labels[None, :]
    first, second = torch.triu(same, diagonal=1).nonzero(as_tuple=True)
    co_detected = valid[first] & valid[second]  # [P, N_part]
    informative = co_detected.any(dim=1)
    first, second, co_detected = first[informative], second[informative], co_detected[informative]
    if num_pairs is not None and first.numel() > 0:
        keep = _sample_pairs(labels[first], num_pairs)
        first, second, co_detected = first[keep], second[keep], co_detected[keep]
    if first.numel() == 0:
        return part_feats.sum() * 0
    part_dist = (part_feats[first] - part_feats[second]).pow(2).sum(dim=-1)  # [P, N_part]
    pair_dist = torch.where(co_detected, part_dist, torch.zeros_like(part_dist)).sum(dim=1)
    return pair_dist.mean()


def part_alignment_ratio(part_feats: Tensor, part_valid: Tensor, labels: Tensor) -> Tensor:
    """How aligned the parts of one class are, against other classes: the mean of
    ``|x_ji - x_ki|^2`` over the (pair, part) combinations of two samples of the same label
    and a part valid in both, divided by the same mean over pairs of different labels.
    A diagnostic (no gradient) for EIAL, which only pulls: from a collapsed start (every
    part vector alike, ratio about 1) its value rises as training spreads the classes apart,
    while this ratio falls if the parts of one class stay closer than those of two.

    Args:
        part_feats (Tensor): Part descriptors, ``[B, N_part, K]``.
        part_valid (Tensor): Bool, ``[B, N_part]``: part detected in the sample.
        labels (Tensor): Integer class of each sample, ``[B]``.

    Returns:
        Tensor: Scalar ratio in the dtype of ``part_feats``; NaN when either kind of pair
        has no co-detected part.
    """
    _check_inputs(part_feats, part_valid, labels)
    with torch.no_grad():
        first, second = torch.triu_indices(labels.numel(), labels.numel(), offset=1,
                                           device=labels.device)
        co_detected = (part_valid[first] & part_valid[second]).to(part_feats.dtype)
        dist = (part_feats[first] - part_feats[second]).pow(2).sum(dim=-1) * co_detected
        same = labels[first] == labels[second]
        means = [dist[kind].sum() / co_detected[kind].sum() for kind in (same, ~same)]
        return means[0] / means[1]


@MODELS.register_module()
class EnforcedIntraClassAlignmentLoss(nn.Module):
    """Enforced intra-class alignment loss (EIAL) on the per-part R-MAC descriptors.

    See :func:`enforced_intra_class_alignment_loss`. Reduction: mean over the intra-class
    pairs that share at least one detected (kept) part of the summed squared part
    distances, times ``loss_weight``; pairs without a co-detected part are left out.

    Args:
        num_pairs (int, optional): Pairs kept per positive set, sampled uniformly with
            torch's default generator (the paper's relaxation uses 1). Defaults to None
            (every pair).
        top_parts (int, optional): Keep only the ``top_parts`` most discriminative parts:
            the first ``top_parts`` entries of ``part_priority``. Defaults to None (every
            part).
        part_priority (Sequence[int], optional): Part indices, most discriminative first;
            only read when ``top_parts`` is set, and must then hold at least ``top_parts``
            distinct indices. Defaults to None (the part order 0, 1, 2, ...).
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 num_pairs: Optional[int] = None,
                 top_parts: Optional[int] = None,
                 part_priority: Optional[Sequence[int]] = None,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if num_pairs is not None and num_pairs < 1:
            raise ValueError(f'EIAL: num_pairs must be >= 1 or None, got {num_pairs}')
        if top_parts is not None and top_parts < 1:
            raise ValueError(f'EIAL: top_parts must be >= 1 or None, got {top_parts}')
        if part_priority is not None:
            part_priority = [int(p) for p in part_priority]
            if len(set(part_priority)) != len(part_priority) or min(part_priority, default=0) < 0:
                raise ValueError(f'EIAL: part_priority must hold distinct non-negative part '
                                 f'indices, got {part_priority}')
            if top_parts is not None and len(part_priority) < top_parts:
                raise ValueError(f'EIAL: part_priority {part_priority} names fewer than '
                                 f'top_parts={top_parts} parts')
        self.num_pairs = num_pairs
        self.top_parts = top_parts
        self.part_priority = part_priority
        self.loss_weight = loss_weight

    def part_mask(self, num_parts: int) -> Optional[torch.Tensor]:
        """The bool ``[num_parts]`` mask of the kept parts, or None when all are kept."""
        if self.top_parts is None:
            return None
        priority = self.part_priority or list(range(num_parts))
        kept = priority[:self.top_parts]
        if self.top_parts > num_parts or max(kept) >= num_parts:
            raise ValueError(f'EIAL: top_parts={self.top_parts} with part_priority={kept} '
                             f'does not fit the {num_parts} parts of part_feats')
        mask = torch.zeros(num_parts, dtype=torch.bool)
        mask[kept] = True
        return mask

    def forward(self, part_feats: Tensor, part_valid: Tensor, labels: Tensor) -> Tensor:
        """Compute the weighted loss.

        Args:
            part_feats (Tensor): Part descriptors, ``[B, N_part, K]``.
            part_valid (Tensor): Bool ``[B, N_part]``, part detected in the sample.
            labels (Tensor): Integer class of each sample, ``[B]``.

        Returns:
            Tensor: Scalar loss.
        """
        mask = self.part_mask(part_feats.size(1)) if part_feats.dim() == 3 else None
        if mask is not None:
            mask = mask.to(part_feats.device)
        return self.loss_weight * enforced_intra_class_alignment_loss(
            part_feats, part_valid, labels, num_pairs=self.num_pairs, part_mask=mask)
