# RPN + R-MAC + DRDL*: the embedding is the R-MAC of the detected parts only (K * N_part),
# trained with CCL; the part RPN of stage 1 frozen.
_base_ = ['../eianet_r18_synthcars.py']
model = dict(
    global_branch=None,
    metric_head=dict(
        _delete_=True,
        type='MetricHead',
        normalize=True,  # as the full EIA-Net: compared on the same footing
        loss_rmac=None,
        loss_global=None,
        loss_embed=dict(type='CoupledClusterLoss', margin=_base_.ccl_margin, loss_weight=1.0,
                        distance=_base_.part_distance),
        loss_align=None,
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),  # as the full EIA-Net
        num_classes=_base_.num_train_classes))
