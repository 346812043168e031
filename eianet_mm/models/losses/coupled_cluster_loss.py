"""Coupled cluster loss (CCL, Liu et al. 2016 "Deep Relative Distance Learning"), the
vehicle-level loss of EIA-Net (eq. 4 of the paper), with the hard-negative margin of the
modified CCL (eq. 5-6) as an option of the same function."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmdet.registry import MODELS
from ...evaluation.functional.distance import CoDetectedLayout, codetected_layout

__all__ = [
    'check_loss_distance', 'coupled_cluster_diagnostics', 'coupled_cluster_loss',
    'nearest_negative_same_coarse_share', 'CoupledClusterLoss'
]


def _check_labels(feats: Tensor, labels: Tensor, name: str = 'labels') -> None:
    """Raise a clear error unless ``feats`` is ``[B, D]`` and ``labels`` is ``[B]``."""
    if feats.dim() != 2:
        raise ValueError(f'coupled cluster loss: feats must be [B, D], got shape '
                         f'{tuple(feats.shape)}')
    if labels.dim() != 1 or labels.numel() != feats.size(0):
        raise ValueError(f'coupled cluster loss: {name} must be [B] with B = '
                         f'{feats.size(0)}, got shape {tuple(labels.shape)}')
    if labels.is_floating_point():
        raise TypeError(f'coupled cluster loss: {name} must be an integer tensor, '
                        f'got {labels.dtype}')


def coupled_cluster_loss(feats: Tensor,
                         labels: Tensor,
                         margin: float = 1.0,
                         detach_center: bool = False,
                         coarse_labels: Optional[Tensor] = None,
                         hard_margin: float = 0.0,
                         distance: str = 'euclidean') -> Tensor:
    """Coupled cluster loss over every positive set of a batch (eq. 4; eq. 5-6 with
    ``coarse_labels``).

    Every label present at least twice is a positive set S with centre
    c = mean_{i in S} f_i. Its negative n* is the sample of another label nearest to c by
    squared Euclidean distance (the lowest batch index on ties). The set's loss is
    ``sum_{i in S} 1/2 * max(0, |f_i - c|^2 + margin - g)`` with ``g = |f_n* - c|^2``, or
    ``g = |f_n* - c|^2 - hard_margin`` when ``coarse_labels`` is given and n* has the
    set's coarse label (same vehicle model, other year; a negative coarse label such as -1
    means unknown and never matches).

    With ``distance='codetected:NxK'`` (the paper: "when involving loss function
    computation, we only calculate the differences among co-detected key vehicle parts")
    the first N*K values of a row are N part vectors, all-zero for a missed part, and every
    ``|x - c|^2`` above is the co-detected distance of
    :func:`~eianet_mm.evaluation.functional.distance.prepare_features`: each part vector
    L2-normalised, the centre's part j the mean of the members' unit vectors of part j over
    the members that detected it, the mean over the parts present in both of the squared
    differences, plus the squared difference of the unit global vectors and their mean,
    halved; the global term alone when no part is present in both (without a global
    branch: 2).

    Reduction: sum over the members of a set, then mean over the positive sets. A batch with
    no positive set, or with no negative at all (one label only), gives a zero that is still
    connected to ``feats`` (its gradient is 0, never NaN).

    Args:
        feats (Tensor): Embeddings, shape ``[B, D]``.
        labels (Tensor): Integer class of each sample (the positive-set label), ``[B]``.
        margin (float): The margin alpha. Defaults to 1.0.
        detach_center (bool): Stop the gradient through the centre c (the paper does not).
            Defaults to False.
        coarse_labels (Tensor, optional): Integer coarse class (vehicle model) of each
            sample, ``[B]``; negative (-1) means unknown. All members of one positive set must share
            it. Defaults to None (plain CCL).
        hard_margin (float): The extra margin beta for a same-coarse-label negative; used
            only with ``coarse_labels``. Defaults to 0.0.
        distance (str): ``'euclidean'`` (squared, the paper's formula) or
            ``'codetected:NxK'`` (above). Defaults to 'euclidean'.

    Returns:
        Tensor: The scalar loss, in the dtype of ``feats``.
    """
    terms = _hinge_arguments(feats, labels, margin, detach_center, coarse_labels, hard_margin,
                             distance)
    if terms is None:
        return feats.sum() * 0
    member, argument, _ = terms
    hinge = 0.5 * torch.relu(argument)
    per_set = torch.where(member, hinge, torch.zeros_like(hinge)).sum(dim=1)
    return per_set.mean()


def _hinge_arguments(feats: Tensor, labels: Tensor, margin: float, detach_center: bool,
                     coarse_labels: Optional[Tensor], hard_margin: float,
                     distance: str) -> Optional[Tuple[Tensor, Tensor, Tensor]]:
    """``member [S, B]``, the hinge arguments ``|f_b - c_s|^2 + margin - g_s`` ``[S, B]``
    of :func:`coupled_cluster_loss` (read at the members) and ``same_model [S]`` (n* has the
    set's coarse label; all False without ``coarse_labels``); None without a positive set
    that has a negative."""
    _check_labels(feats, labels)
    if coarse_labels is not None:
        _check_labels(feats, coarse_labels, 'coarse_labels')
    sets = _positive_sets(feats, labels, detach_center, _loss_layout(distance, feats))
    if sets is None:
        return None
    member, dist, nearest = sets
    neg_term = dist.gather(1, nearest)  # [S, 1]
    same_model = torch.zeros(member.size(0), dtype=torch.bool, device=member.device)
    if coarse_labels is not None:
        same_model = _nearest_is_same_coarse(coarse_labels, member, nearest)
        neg_term = neg_term - (same_model.to(dist.dtype) * hard_margin)[:, None]
    return member, dist + margin - neg_term, same_model


def coupled_cluster_diagnostics(feats: Tensor,
                                labels: Tensor,
                                margin: float = 1.0,
                                coarse_labels: Optional[Tensor] = None,
                                hard_margin: float = 0.0,
                                distance: str = 'euclidean') -> Dict[str, Tensor]:
    """What a :func:`coupled_cluster_loss` value means, from the same positive sets and
    nearest negatives n* (one pass; no gradient; zeros without a positive set or a negative):

    - ``active_share``: the share of the sets' members whose hinge is active
      (``|f_i - c|^2 + margin - g > 0``). At 1 the loss is linear in the distances (the sum
      of ``1/2 * (|f_i - c|^2 - g)`` plus a constant): the margins, and MCCL's hard margin
      with them, change its value only, not its gradient.
    - ``zero_distance_value``: the loss if every distance were zero, the mean over the sets
      of ``1/2 * |S| * (margin + hard_margin * [n* has the set's coarse label])``: the loss of
      a collapsed embedding. The loss over this value is 1 there and 0 once every margin is
      met; with ``coarse_labels`` (MCCL) the value grows with the sets whose n* is the same
      model, so the loss itself can rise while that ratio falls.
    - ``same_coarse_share`` (with ``coarse_labels``): the share of the sets whose n* has the
      set's coarse label, as :func:`nearest_negative_same_coarse_share`.

    Args:
        feats (Tensor): Embeddings, ``[B, D]``.
        labels (Tensor): Integer class of each sample, ``[B]``.
        margin (float): The margin alpha. Defaults to 1.0.
        coarse_labels (Tensor, optional): As in :func:`coupled_cluster_loss`. Defaults to
            None (plain CCL).
        hard_margin (float): The extra margin beta (with ``coarse_labels``). Defaults to 0.0.
        distance (str): As in :func:`coupled_cluster_loss`. Defaults to 'euclidean'.

    Returns:
        dict[str, Tensor]: Scalars in the dtype of ``feats``.
    """
    with torch.no_grad():
        terms = _hinge_arguments(feats.detach(), labels, margin, True, coarse_labels,
                                 hard_margin, distance)
        names = ('active_share', 'zero_distance_value') + (
            () if coarse_labels is None else ('same_coarse_share', ))
        if terms is None:
            return {name: feats.new_zeros(()) for name in names}
        member, argument, same_model = terms
        same_model = same_model.to(feats.dtype)
        set_margin = margin + hard_margin * same_model
        values = ((argument[member] > 0).to(feats.dtype).mean(),
                  (0.5 * member.sum(dim=1).to(feats.dtype) * set_margin).mean(),
                  same_model.mean())
        return dict(zip(names, values))


def nearest_negative_same_coarse_share(feats: Tensor, labels: Tensor, coarse_labels: Tensor,
                                       distance: str = 'euclidean') -> Tensor:
    """The share of the positive sets whose nearest negative n* (as in
    :func:`coupled_cluster_loss`) has the set's coarse label: the sets where MCCL adds its
    ``hard_margin``. A diagnostic (no gradient); 0 without a positive set or a negative.

    MCCL at a fixed distance pattern grows with this share, so its value rises while the
    network learns the coarse level and the nearest negatives become same-model classes.

    Args:
        feats (Tensor): Embeddings, ``[B, D]``.
        labels (Tensor): Integer class of each sample, ``[B]``.
        coarse_labels (Tensor): Integer coarse class of each sample, ``[B]``; -1 unknown.
        distance (str): As in :func:`coupled_cluster_loss`. Defaults to 'euclidean'.

    Returns:
        Tensor: Scalar share in [0, 1], in the dtype of ``feats``.
    """
    _check_labels(feats, labels)
    _check_labels(feats, coarse_labels, 'coarse_labels')
    layout = _loss_layout(distance, feats)
    with torch.no_grad():
        sets = _positive_sets(feats.detach(), labels, True, layout)
        if sets is None:
            return feats.new_zeros(())
        member, _, nearest = sets
        return _nearest_is_same_coarse(coarse_labels, member, nearest).to(feats.dtype).mean()


def check_loss_distance(distance: str) -> str:
    """Return ``distance`` if the CCL / MCCL accept it (``'euclidean'`` or
    ``'codetected:NxK'``), else raise a ValueError."""
    _loss_layout(distance, None)
    return distance


def _loss_layout(distance: str, feats: Optional[Tensor]) -> Optional[CoDetectedLayout]:
    """The part layout of a ``'codetected:NxK'`` distance (None for ``'euclidean'``)."""
    if distance == 'euclidean':
        return None
    layout = codetected_layout(distance)
    if layout is None:
        raise ValueError(f"coupled cluster loss: distance must be 'euclidean' or "
                         f"'codetected:NxK', got {distance!r}")
    if feats is not None and feats.size(1) < layout.num_parts * layout.part_dims:
        raise ValueError(f'coupled cluster loss: distance {distance!r} needs feats of at least '
                         f'{layout.num_parts * layout.part_dims} values, got {feats.size(1)}')
    return layout


def _codetected_to_centres(feats: Tensor, member: Tensor, counts: Tensor,
                           layout: CoDetectedLayout, detach_center: bool) -> Tensor:
    """``[S, B]`` co-detected distance of every sample to each set's centre (see
    :func:`coupled_cluster_loss`)."""
    num, dims = layout
    parts = feats[:, :num * dims].reshape(feats.size(0), num, dims)
    detected = (parts.detach() != 0).any(dim=2).to(feats.dtype)  # [B, N]; NaN counts
    # a missed part stays zero, and no gradient reaches it through the normalisation
    unit = F.normalize(parts, p=2, dim=2) * detected[..., None]
    weights = member.to(feats.dtype)  # [S, B]
    seen = weights @ detected  # [S, N]: members that detected each part
    centres = torch.einsum('sb,bnk->snk', weights, unit) / seen.clamp(min=1)[..., None]
    unit_global = F.normalize(feats[:, num * dims:], p=2, dim=1)
    centres_global = (weights @ unit_global) / counts[:, None].to(feats.dtype)
    if detach_center:
        centres, centres_global = centres.detach(), centres_global.detach()
    common = detected[None] * (seen > 0).to(feats.dtype)[:, None]  # [S, B, N]
    squared = (unit[None] - centres[:, None]).pow(2).sum(dim=-1)  # [S, B, N]
    num_common = common.sum(dim=-1)
    part_term = torch.where(num_common > 0,
                            (squared * common).sum(dim=-1) / num_common.clamp(min=1),
                            torch.full_like(num_common, 2.0))
    if unit_global.size(1) == 0:
        return part_term
    global_term = (unit_global[None] - centres_global[:, None]).pow(2).sum(dim=-1)
    return torch.where(num_common > 0, (part_term + global_term) / 2, global_term)


def _positive_sets(
        feats: Tensor, labels: Tensor, detach_center: bool,
        layout: Optional[CoDetectedLayout] = None) -> Optional[Tuple[Tensor, Tensor, Tensor]]:
    """``member [S, B]`` (sample b in positive set s), ``dist [S, B]`` (distance of every
    sample to each set's centre: squared Euclidean, or co-detected with a ``layout``) and
    ``nearest [S, 1]`` (the index of each set's nearest negative) over the positive sets
    that have a negative; None if there is none."""
    set_labels, counts = torch.unique(labels, return_counts=True)
    set_labels = set_labels[counts > 1]
    counts = counts[counts > 1]
    member = set_labels[:, None] == labels[None, :]
    neg = ~member
    has_neg = neg.any(dim=1)
    if not bool(has_neg.any()):
        return None
    member, neg, counts = member[has_neg], neg[has_neg], counts[has_neg]
    if layout is not None:
        dist = _codetected_to_centres(feats, member, counts, layout, detach_center)
    else:
        centers = (member.to(feats.dtype) @ feats) / counts[:, None].to(feats.dtype)
        if detach_center:
            centers = centers.detach()
        # Exact squared distances (differences, not the Gram expansion): zero for identical
        # embeddings, no cancellation, finite gradients everywhere.
        dist = (feats[None, :, :] - centers[:, None, :]).pow(2).sum(dim=-1)  # [S, B]
    masked = dist.detach().masked_fill(~neg, torch.finfo(dist.dtype).max)
    return member, dist, masked.argmin(dim=1, keepdim=True)


def _nearest_is_same_coarse(coarse_labels: Tensor, member: Tensor, nearest: Tensor) -> Tensor:
    """``[S]`` bool: the nearest negative has the set's (known) coarse label."""
    set_coarse = _set_coarse_labels(coarse_labels, member)
    return (coarse_labels[nearest[:, 0]] == set_coarse) & (set_coarse >= 0)


def _set_coarse_labels(coarse_labels: Tensor, member: Tensor) -> Tensor:
    """The coarse label of each positive set; error if its members disagree."""
    big = torch.iinfo(coarse_labels.dtype)
    values = coarse_labels[None, :].expand_as(member)
    high = values.masked_fill(~member, big.min).amax(dim=1)
    low = values.masked_fill(~member, big.max).amin(dim=1)
    if bool((high != low).any()):
        bad = int((high != low).nonzero()[0, 0])
        found = sorted(set(coarse_labels[member[bad]].tolist()))
        raise ValueError(f'coupled cluster loss: the samples of one positive set have '
                         f'different coarse_labels {found}; a class (model-year) must '
                         f'belong to one coarse class (model)')
    return high


@MODELS.register_module()
class CoupledClusterLoss(nn.Module):
    """Coupled cluster loss (CCL) on a batch of embeddings and their class labels.

    See :func:`coupled_cluster_loss` for the formula. Reduction: sum over the members of a
    positive set, mean over the positive sets, times ``loss_weight``.

    Args:
        margin (float): The margin alpha. Defaults to 1.0.
        detach_center (bool): Stop the gradient through each set's centre. Defaults to
            False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        distance (str): ``'euclidean'`` or ``'codetected:NxK'`` (see
            :func:`coupled_cluster_loss`). Defaults to 'euclidean'.
    """

    def __init__(self,
                 margin: float = 1.0,
                 detach_center: bool = False,
                 loss_weight: float = 1.0,
                 distance: str = 'euclidean') -> None:
        super().__init__()
        self.margin = margin
        self.detach_center = detach_center
        self.loss_weight = loss_weight
        self.distance = check_loss_distance(distance)

    def forward(self, feats: Tensor, labels: Tensor) -> Tensor:
        """Compute the weighted loss.

        Args:
            feats (Tensor): Embeddings, ``[B, D]``.
            labels (Tensor): Integer class of each sample, ``[B]``.

        Returns:
            Tensor: Scalar loss.
        """
        return self.loss_weight * coupled_cluster_loss(
            feats, labels, margin=self.margin, detach_center=self.detach_center,
            distance=self.distance)
