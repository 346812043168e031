"""Modified coupled cluster loss (MCCL, eq. 5-6 of the EIA-Net paper): CCL with a larger
margin when the nearest negative is the same vehicle model of another released year."""
from torch import Tensor, nn

from mmdet.registry import MODELS
from .coupled_cluster_loss import check_loss_distance, coupled_cluster_loss

__all__ = ['ModifiedCoupledClusterLoss']


@MODELS.register_module()
class ModifiedCoupledClusterLoss(nn.Module):
    """Modified coupled cluster loss (MCCL).

    As :class:`CoupledClusterLoss` (the nearest negative n* of each positive set is chosen by
    plain squared distance to the set's centre c), but when n*'s coarse label (vehicle
    model) equals the set's, its term becomes ``|f_n* - c|^2 - hard_margin``: the effective
    margin is ``margin + hard_margin``. A negative coarse label (-1) means unknown and never
    counts as the same model. Reduction: sum over the members of a positive set, mean over
    the positive sets, times ``loss_weight``; 0 (graph-connected) without a positive set or
    a negative. The maths is :func:`coupled_cluster_loss` with ``coarse_labels``.

    Args:
        margin (float): The margin alpha for negatives of another model. Defaults to 1.0.
        hard_margin (float): The extra margin beta for a same-model negative. Defaults to
            1.0.
        detach_center (bool): Stop the gradient through each set's centre. Defaults to
            False.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        distance (str): ``'euclidean'`` or ``'codetected:NxK'`` (see
            :func:`coupled_cluster_loss`). Defaults to 'euclidean'.
    """

    def __init__(self,
                 margin: float = 1.0,
                 hard_margin: float = 1.0,
                 detach_center: bool = False,
                 loss_weight: float = 1.0,
                 distance: str = 'euclidean') -> None:
        super().__init__()
        self.margin = margin
        self.hard_margin = hard_margin
        self.detach_center = detach_center
        self.loss_weight = loss_weight
        self.distance = check_loss_distance(distance)

    def forward(self, feats: Tensor, labels: Tensor, coarse_labels: Tensor) -> Tensor:
        """Compute the weighted loss.

        Args:
            feats (Tensor): Embeddings, ``[B, D]``.
            labels (Tensor): Integer class (model-year) of each sample, ``[B]``.
            coarse_labels (Tensor): Integer coarse class (model) of each sample, ``[B]``;
                -1 unknown. The members of one class must share it.

        Returns:
            Tensor: Scalar loss.
        """
        return self.loss_weight * coupled_cluster_loss(
            feats,
            labels,
            margin=self.margin,
            detach_center=self.detach_center,
            coarse_labels=coarse_labels,
            hard_margin=self.hard_margin,
            distance=self.distance)
