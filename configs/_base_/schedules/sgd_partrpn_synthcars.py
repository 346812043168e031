# Stage 1 on SynthCars (CPU, minutes): the part RPN and the backbone from scratch. 2,400
# iterations, not 1,200: at 1,200 the loss was still falling, the small lights of the oblique
# views scored under the detection threshold (placed in 2-12% of the images) and the head- and
# tail-light classes both fired on the one light of a front or rear view (61-67%); at 2,400
# they are placed in 10-44% and the confusion falls to 17-18%, and EIA-Net's year-level lead
# over Plain DRDL grows (docs/synthcars_learning.md, section 16). 60-120 s more on 2 cores.
max_iters = 2400
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.75)], gamma=0.1),
]
