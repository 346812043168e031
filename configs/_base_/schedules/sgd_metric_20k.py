# Stage 2 as the paper: SGD, lr 0.01, momentum 0.9, weight decay 2e-4, the lr multiplied by
# 0.01 every 10,000 iterations (the batch size comes from the dataset config's P x K
# sampler: 8 for verification). The paper does not give the length; 20,000 iterations.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=2e-4))
param_scheduler = [dict(type='StepLR', by_epoch=False, step_size=10000, gamma=0.01)]
