# The FC-feature network of the "FC feature + SVM / Joint Bayesian" baselines: the same small
# ResNet, global average pooling and one FC layer (256), trained as a model-year classifier
# (softmax); its FC output is the feature the SVM / Joint Bayesian fit on. No parts. Starts
# from the stage-1 backbone, as every SynthCars network (load_from of the base config).
_base_ = ['../eianet_r18_synthcars.py']
model = dict(
    backbone=dict(norm_eval=False),  # shuffled batches: BN may learn its statistics
    rpn_head=None,
    rmac=None,
    part_projection=None,
    loss_part_distill=None,
    global_branch=dict(
        _delete_=True, type='GlobalPoolingFC', in_channels=128, out_channels=256),
    metric_head=dict(
        _delete_=True,
        type='MetricHead',
        loss_rmac=None,
        loss_global=None,
        loss_embed=None,
        loss_align=None,
        loss_cls=dict(type='CrossEntropyLoss', loss_weight=1.0),
        num_classes=_base_.num_train_classes))
# A classifier trains on shuffled images (32 per batch), not on P x K positive sets.
train_dataloader = dict(sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True))
# No parts: the squared Euclidean distance of the embeddings (the paper's comparison).
val_evaluator = dict(metric='euclidean')
test_evaluator = val_evaluator
pair_scorer = None  # no parts to weigh; SVM / Joint Bayesian fit on its features
# 400 iterations, not the metric networks' 1,200: the demo's 15 minutes on 2 CPU cores do not
# hold three networks of 1,200 (docs/synthcars_learning.md, section 10). The classifier is a
# baseline of the table, not of the year-level claim (EIA-Net against Plain DRDL).
max_iters = 400
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=30),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters, T_max=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
