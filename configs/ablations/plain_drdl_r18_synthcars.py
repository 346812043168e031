# Plain DRDL (the paper's end-to-end baseline): no parts; the embedding is the Part-based CNN
# (global and half-map channels) trained with the original CCL, plus the same auxiliary
# softmax as the SynthCars EIA-Net. Starts from the stage-1 backbone, as every SynthCars
# network (load_from of the base config).
_base_ = ['../eianet_r18_synthcars.py']
model = dict(
    rpn_head=None,
    rmac=None,
    part_projection=None,
    loss_part_distill=None,
    metric_head=dict(
        _delete_=True,
        type='MetricHead',
        normalize=True,  # as the full EIA-Net: compared on the same footing
        loss_rmac=None,
        loss_global=None,
        loss_embed=dict(type='CoupledClusterLoss', margin=_base_.ccl_margin, loss_weight=1.0),
        loss_align=None,
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
        num_classes=_base_.num_train_classes))
# No parts: the squared Euclidean distance of the embeddings (the paper's comparison).
val_evaluator = dict(metric='euclidean')
test_evaluator = val_evaluator
pair_scorer = None  # no parts to weigh
