# Stage 1 (the part RPN on part boxes): the paper gives no schedule for it; this is mmdet's
# RPN recipe scaled to batch 8 and counted in iterations.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=20000, milestones=[14000, 18000],
         gamma=0.1),
]
