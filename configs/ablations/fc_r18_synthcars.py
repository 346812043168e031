# The FC-feature network of the "FC feature + SVM / Joint Bayesian" baselines: the same small
# ResNet, global average pooling and one FC layer (256), trained as a model-year classifier
# (softmax); its FC output is the feature the SVM / Joint Bayesian fit on. No parts.
_base_ = ['../eianet_r18_synthcars.py']
# Model-year classes of the SynthCars 'demo' training split: 10 training models x 3 years.
# Other presets need their own count (the head names the range it expects when it differs).
num_train_classes = 30
model = dict(
    backbone=dict(norm_eval=False),  # trained from scratch, on shuffled batches
    rpn_head=None,
    rmac=None,
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
        num_classes=num_train_classes))
# A classifier trains on shuffled images, not on P x K positive sets.
train_dataloader = dict(sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True))
load_from = None
