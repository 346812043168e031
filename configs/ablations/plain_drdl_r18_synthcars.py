# Plain DRDL (the paper's end-to-end baseline): no parts; the embedding is the Part-based CNN
# (global and half-map channels) trained with the original CCL. Trained from scratch: no
# stage 1.
_base_ = ['../eianet_r18_synthcars.py']
model = dict(
    # trained from scratch: BN must learn its statistics (there is no stage 1)
    backbone=dict(norm_eval=False),
    rpn_head=None,
    rmac=None,
    metric_head=dict(
        _delete_=True,
        type='MetricHead',
        normalize=True,  # as the full EIA-Net: compared on the same footing
        loss_rmac=None,
        loss_global=None,
        loss_embed=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=1.0),
        loss_align=None))
load_from = None
