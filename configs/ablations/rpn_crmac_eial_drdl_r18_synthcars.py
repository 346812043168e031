# RPN + CR-MAC + EIAL + DRDL*: as rpn_crmac_drdl with EIAL (1.0) on the per-part R-MAC
# features; CCL (not MCCL) on the CR-MAC embedding.
_base_ = ['../eianet_r18_synthcars.py']
model = dict(
    metric_head=dict(
        _delete_=True,
        type='MetricHead',
        normalize=True,  # as the full EIA-Net: compared on the same footing
        loss_rmac=dict(type='CoupledClusterLoss', margin=_base_.ccl_margin, loss_weight=0.5,
                       distance=_base_.part_distance),  # as the full EIA-Net
        loss_global=dict(type='CoupledClusterLoss', margin=_base_.ccl_margin, loss_weight=0.5),
        loss_embed=dict(type='CoupledClusterLoss', margin=_base_.ccl_margin, loss_weight=1.0,
                        distance=_base_.part_distance),
        loss_align=dict(type='EnforcedIntraClassAlignmentLoss', loss_weight=1.0),
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=2.0),  # as the full EIA-Net
        num_classes=_base_.num_train_classes,
        cls_per_branch=True))
