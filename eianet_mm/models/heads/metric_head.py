"""The metric-learning head: forms the CR-MAC embedding and applies the EIA-Net losses."""
import inspect
import math
from typing import Dict, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import OptConfigType, OptMultiConfig

from ..losses import (coupled_cluster_diagnostics, nearest_negative_same_coarse_share,
                      part_alignment_ratio)

#: Losses on an embedding (called with ``(feats, labels)`` or ``(feats, labels, coarse)``).
EMBEDDING_LOSSES = ('loss_rmac', 'loss_global', 'loss_embed')


class Embeddings(NamedTuple):
    """The branch vectors and the embedding of a batch (None for an absent branch)."""
    rmac: Optional[Tensor]  # [B, K*N_part]
    global_: Optional[Tensor]  # [B, C]
    embedding: Tensor  # [B, D]


@MODELS.register_module()
class MetricHead(BaseModule):
    """Feature head of the EIA-Net.

    The embedding is ``concat(R-MAC branch, global branch)``: the R-MAC branch is the part
    features flattened in part order ``[B, K*N_part]``, the global branch the Part-based CNN
    (or FC) features ``[B, C]``; either may be absent. With ``normalize`` each branch vector
    is L2-normalised and the concatenation divided by sqrt(number of branches), so both
    branches weigh alike and the embedding has unit norm. The losses (each optional; None
    disables it):

    - ``loss_rmac``: CCL on the R-MAC branch (the paper's "upper" branch, weight 0.5);
    - ``loss_global``: CCL on the Part-based CNN branch ("lower" branch, weight 0.5);
    - ``loss_embed``: CCL or MCCL on the final CR-MAC embedding (weight 1.0); a loss whose
      ``forward`` takes ``coarse_labels`` (MCCL) gets the data samples' ``coarse_label``;
    - ``loss_align``: EIAL on the per-part R-MAC features (default weight 1.0), taken from
      the R-MAC branch vector (so normalised with it when ``normalize``);
    - ``loss_cls``: a classification loss on a linear classifier over the raw concatenated
      features, for the FC-feature baseline network (needs ``num_classes`` and
      ``embed_dims``); with ``cls_per_branch`` one classifier per branch instead (on the raw
      R-MAC and on the raw global features) and the mean of their losses, so that each
      branch must separate the classes by itself (not in the paper).

    The CCL / MCCL / EIAL terms are multiplied by ``metric_loss_scale`` (an attribute, 1.0;
    :class:`~eianet_mm.engine.MetricLossWarmupHook` ramps it in at the start of training).

    Labels come from the data samples' metainfo (``id_label``, ``coarse_label``). The loss
    dict also holds diagnostics (logged, not summed into the loss): ``part_detected``
    (fraction of detected parts); with a CCL / MCCL ``loss_embed``, ``embed_active_share``
    (the share of members whose hinge is active,
    :func:`~eianet_mm.models.losses.coupled_cluster_diagnostics`: at 1 the margins do not
    change the gradient) and ``embed_collapse_ratio`` (the loss over its value at zero
    distances with the same nearest negatives: 1 for a collapsed
    embedding, 0 once every margin is met); when ``loss_embed`` takes coarse labels (MCCL),
    ``embed_same_model_share`` (the share of positive sets whose nearest negative is the
    same model: MCCL adds its hard margin there, so MCCL rises with this share); with
    ``loss_align``, ``align_ratio`` (:func:`~eianet_mm.models.losses.part_alignment_ratio`:
    within-class over between-class part distances, about 1 at a collapsed start; EIAL only
    pulls, so its value rises as the classes spread while this ratio falls; left out of a
    batch where the pairs of one kind share no detected part).

    Args:
        loss_rmac (dict, optional): Loss on the R-MAC branch. Defaults to CCL, margin 1.0,
            weight 0.5.
        loss_global (dict, optional): Loss on the global (Part-based CNN) branch. Defaults
            to CCL, margin 1.0, weight 0.5.
        loss_embed (dict, optional): Loss on the final embedding. Defaults to CCL, margin
            1.0, weight 1.0.
        loss_align (dict, optional): Alignment loss on the per-part features. Defaults to
            EIAL, weight 1.0.
        loss_cls (dict, optional): Classification loss. Defaults to None.
        num_classes (int, optional): Training classes of ``loss_cls``. Defaults to None.
        embed_dims (int, optional): Embedding dimension D (the detector passes it).
            Defaults to None.
        rmac_dims (int, optional): Width K*N_part of the R-MAC branch at the front of a raw
            concatenation (the detector passes it; 0 without R-MAC); needed by
            :meth:`predict_by_feat` to normalise the branches. Defaults to None.
        normalize (bool): L2-normalise each branch (see above); the paper compares raw
            features. Defaults to False.
        cls_per_branch (bool): ``loss_cls`` on one classifier per branch (see above) instead
            of one on the concatenation; needs ``rmac_dims``. Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 loss_rmac: OptConfigType = dict(type='CoupledClusterLoss', margin=1.0,
                                                 loss_weight=0.5),
                 loss_global: OptConfigType = dict(type='CoupledClusterLoss', margin=1.0,
                                                   loss_weight=0.5),
                 loss_embed: OptConfigType = dict(type='CoupledClusterLoss', margin=1.0,
                                                  loss_weight=1.0),
                 loss_align: OptConfigType = dict(type='EnforcedIntraClassAlignmentLoss',
                                                  loss_weight=1.0),
                 loss_cls: OptConfigType = None,
                 num_classes: Optional[int] = None,
                 embed_dims: Optional[int] = None,
                 rmac_dims: Optional[int] = None,
                 normalize: bool = False,
                 cls_per_branch: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.normalize = normalize
        self.embed_dims = embed_dims
        self.rmac_dims = rmac_dims
        self.num_classes = num_classes
        self.cls_per_branch = cls_per_branch
        self.metric_loss_scale = 1.0
        for name, cfg in (('loss_rmac', loss_rmac), ('loss_global', loss_global),
                          ('loss_embed', loss_embed), ('loss_align', loss_align),
                          ('loss_cls', loss_cls)):
            setattr(self, name, MODELS.build(cfg) if cfg is not None else None)
        self._takes_coarse = {
            name: 'coarse_labels' in inspect.signature(getattr(self, name).forward).parameters
            for name in EMBEDDING_LOSSES if getattr(self, name) is not None}
        if self.loss_cls is not None:
            if num_classes is None or embed_dims is None:
                raise ValueError('MetricHead: loss_cls needs num_classes and embed_dims, got '
                                 f'num_classes={num_classes}, embed_dims={embed_dims}')
            if not cls_per_branch:
                self.fc_cls = nn.Linear(embed_dims, num_classes)
            elif rmac_dims is None:
                raise ValueError('MetricHead: cls_per_branch needs rmac_dims (the width of the '
                                 'R-MAC branch), got None')
            else:
                self.fc_cls_branches = nn.ModuleList(
                    nn.Linear(dims, num_classes)
                    for dims in (rmac_dims, embed_dims - rmac_dims) if dims > 0)
        if all(getattr(self, n) is None for n in EMBEDDING_LOSSES + ('loss_align',
                                                                      'loss_cls')):
            raise ValueError('MetricHead: every loss is None; configure at least one')

    @property
    def uses_parts(self) -> bool:
        """bool: Whether a loss needs the R-MAC part features."""
        return self.loss_rmac is not None or self.loss_align is not None

    @property
    def uses_global(self) -> bool:
        """bool: Whether a loss needs the global-branch features."""
        return self.loss_global is not None

    def forward(self, part_feats: Optional[Tensor],
                global_feats: Optional[Tensor]) -> Embeddings:
        """Branch vectors and embedding.

        Args:
            part_feats (Tensor, optional): R-MAC features ``[B, N_part, K]``.
            global_feats (Tensor, optional): Global features ``[B, C]``.

        Returns:
            Embeddings: ``rmac [B, K*N_part]``, ``global_ [B, C]`` (None when absent) and
            ``embedding [B, D]``, normalised as described in the class docstring.
        """
        branches = [part_feats.flatten(1) if part_feats is not None else None, global_feats]
        present = [b for b in branches if b is not None]
        if not present:
            raise ValueError('MetricHead needs part features, global features or both')
        if self.normalize:
            branches = [F.normalize(b, dim=1) if b is not None else None for b in branches]
            present = [b for b in branches if b is not None]
            embedding = torch.cat(present, dim=1) / math.sqrt(len(present))
        else:
            embedding = torch.cat(present, dim=1)
        return Embeddings(branches[0], branches[1], embedding)

    @staticmethod
    def get_labels(batch_data_samples: SampleList) -> Tuple[Tensor, Tensor]:
        """``id_label`` and ``coarse_label`` (-1 when absent) of the samples as long tensors.

        Raises:
            KeyError: A sample has no ``id_label`` in its metainfo.
        """
        labels, coarse = [], []
        for sample in batch_data_samples:
            meta = sample.metainfo
            if 'id_label' not in meta:
                raise KeyError(f'MetricHead: data sample of {meta.get("img_path", "?")} has no '
                               "'id_label' in its metainfo; add 'id_label' to the meta_keys "
                               'of PackDetInputs')
            labels.append(int(meta['id_label']))
            coarse.append(int(meta.get('coarse_label', -1)))
        return torch.tensor(labels, dtype=torch.long), torch.tensor(coarse, dtype=torch.long)

    def loss(self, part_feats: Optional[Tensor], part_valid: Optional[Tensor],
             global_feats: Optional[Tensor], batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Losses of a batch.

        Args:
            part_feats (Tensor, optional): R-MAC features ``[B, N_part, K]``.
            part_valid (Tensor, optional): ``[B, N_part]`` bool, detected parts.
            global_feats (Tensor, optional): Global features ``[B, C]``.
            batch_data_samples (list[DetDataSample]): Samples with ``id_label`` (and
                ``coarse_label`` for MCCL) in their metainfo.

        Returns:
            dict[str, Tensor]: The losses and diagnostics.
        """
        labels, coarse = self.get_labels(batch_data_samples)
        device = (part_feats if part_feats is not None else global_feats).device
        return self.loss_by_feat(part_feats, part_valid, global_feats, labels.to(device),
                                 coarse.to(device))

    def _embedding_loss(self, name: str, feats: Tensor, labels: Tensor,
                        coarse: Tensor) -> Tensor:
        """Call one embedding loss, with the coarse labels when it takes them."""
        loss = getattr(self, name)
        if self._takes_coarse[name]:
            return loss(feats, labels, coarse)
        return loss(feats, labels)

    def _embed_diagnostics(self, loss: Tensor, embedding: Tensor, labels: Tensor,
                           coarse: Tensor) -> Dict[str, Tensor]:
        """``embed_active_share`` and ``embed_collapse_ratio`` (for a CCL / MCCL
        ``loss_embed``, i.e. one with a ``margin``) and ``embed_same_model_share`` (MCCL) of
        the class docstring."""
        out: Dict[str, Tensor] = {}
        distance = getattr(self.loss_embed, 'distance', 'euclidean')
        coarse = coarse if self._takes_coarse['loss_embed'] else None
        if hasattr(self.loss_embed, 'margin'):
            diagnostics = coupled_cluster_diagnostics(
                embedding, labels, self.loss_embed.margin, coarse,
                getattr(self.loss_embed, 'hard_margin', 0.0), distance)
            out['embed_active_share'] = diagnostics['active_share']
            collapsed = diagnostics['zero_distance_value'] * getattr(
                self.loss_embed, 'loss_weight', 1.0)
            ratio = loss.detach() / collapsed.clamp(min=torch.finfo(collapsed.dtype).tiny)
            out['embed_collapse_ratio'] = torch.where(collapsed > 0, ratio,
                                                      torch.zeros_like(ratio))
            if coarse is not None:
                out['embed_same_model_share'] = diagnostics['same_coarse_share']
        elif coarse is not None:  # a coarse-label loss without a margin
            out['embed_same_model_share'] = nearest_negative_same_coarse_share(
                embedding, labels, coarse, distance)
        return out

    def loss_by_feat(self, part_feats: Optional[Tensor], part_valid: Optional[Tensor],
                     global_feats: Optional[Tensor], labels: Tensor,
                     coarse_labels: Tensor) -> Dict[str, Tensor]:
        """Losses from the branch features and the labels.

        Args:
            part_feats (Tensor, optional): R-MAC features ``[B, N_part, K]``.
            part_valid (Tensor, optional): ``[B, N_part]`` bool, detected parts.
            global_feats (Tensor, optional): Global features ``[B, C]``.
            labels (Tensor): ``[B]`` class of each sample (positive sets).
            coarse_labels (Tensor): ``[B]`` vehicle model of each sample (-1 unknown).

        Returns:
            dict[str, Tensor]: ``loss_rmac``, ``loss_global``, ``loss_embed``,
            ``loss_align``, ``loss_cls`` (the configured ones) and the diagnostics
            ``part_detected``, ``embed_active_share``, ``embed_collapse_ratio``,
            ``embed_same_model_share`` and ``align_ratio`` (see the class docstring).
        """
        if self.uses_parts and (part_feats is None or part_valid is None):
            raise ValueError('MetricHead: loss_rmac / loss_align need the R-MAC part '
                             'features; the detector has no rpn_head / rmac')
        if self.uses_global and global_feats is None:
            raise ValueError('MetricHead: loss_global needs the global features; the '
                             'detector has no global_branch')
        losses: Dict[str, Tensor] = {}
        emb = self(part_feats, global_feats)
        if self.loss_rmac is not None:
            losses['loss_rmac'] = self._embedding_loss('loss_rmac', emb.rmac, labels,
                                                       coarse_labels)
        if self.loss_global is not None:
            losses['loss_global'] = self._embedding_loss('loss_global', emb.global_, labels,
                                                         coarse_labels)
        if self.loss_embed is not None:
            losses['loss_embed'] = self._embedding_loss('loss_embed', emb.embedding, labels,
                                                        coarse_labels)
            losses.update(self._embed_diagnostics(losses['loss_embed'], emb.embedding,
                                                  labels, coarse_labels))
        if self.loss_align is not None:
            rmac_parts = emb.rmac.view_as(part_feats)
            losses['loss_align'] = self.loss_align(rmac_parts, part_valid, labels)
            ratio = part_alignment_ratio(rmac_parts, part_valid, labels)
            if bool(torch.isfinite(ratio)):  # else a kind of pair shares no detected part
                losses['align_ratio'] = ratio
        if self.metric_loss_scale != 1.0:
            for name in EMBEDDING_LOSSES + ('loss_align', ):
                if name in losses:
                    losses[name] = losses[name] * self.metric_loss_scale
        if self.loss_cls is not None:
            if bool((labels < 0).any()) or bool((labels >= self.num_classes).any()):
                raise ValueError(f'MetricHead.loss_cls: id_label must be in '
                                 f'0..{self.num_classes - 1} (num_classes), got '
                                 f'{labels.tolist()}')
            raw = [f.flatten(1) for f in (part_feats, global_feats) if f is not None]
            if self.cls_per_branch:
                if len(raw) != len(self.fc_cls_branches):
                    raise ValueError(f'MetricHead.cls_per_branch: {len(raw)} branches given, '
                                     f'{len(self.fc_cls_branches)} classifiers built')
                losses['loss_cls'] = sum(
                    self.loss_cls(fc(branch), labels)
                    for fc, branch in zip(self.fc_cls_branches, raw)) / len(raw)
            else:
                losses['loss_cls'] = self.loss_cls(self.fc_cls(torch.cat(raw, dim=1)), labels)
        if part_valid is not None:
            losses['part_detected'] = part_valid.float().mean().detach()
        return losses

    def predict(self, part_feats: Optional[Tensor], global_feats: Optional[Tensor],
                batch_data_samples: Optional[SampleList] = None) -> Tensor:
        """The embeddings that are compared.

        Args:
            part_feats (Tensor, optional): R-MAC features ``[B, N_part, K]``.
            global_feats (Tensor, optional): Global features ``[B, C]``.
            batch_data_samples (list[DetDataSample], optional): Unused (mmdet signature).
                Defaults to None.

        Returns:
            Tensor: ``[B, D]``.
        """
        return self(part_feats, global_feats).embedding

    def predict_by_feat(self, raw: Tensor) -> Tensor:
        """The embedding of a raw concatenation ``[R-MAC branch, global branch]`` (e.g. the
        mean of an image's and its mirror's): the same as :meth:`predict` on the branch
        features it concatenates.

        Args:
            raw (Tensor): ``[B, D]`` unnormalised concatenated branch features.

        Returns:
            Tensor: ``[B, D]``.
        """
        if not self.normalize:
            return raw
        if self.rmac_dims is None:
            raise ValueError('MetricHead.predict_by_feat with normalize=True needs rmac_dims '
                             '(the width of the R-MAC branch in the raw features)')
        rmac = raw[:, :self.rmac_dims] if self.rmac_dims > 0 else None
        glob = raw[:, self.rmac_dims:] if raw.size(1) > self.rmac_dims else None
        return self(rmac[:, None] if rmac is not None else None, glob).embedding
