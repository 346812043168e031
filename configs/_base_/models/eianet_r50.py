# EIA-Net with ResNet-50 for re-ID at 256 x 256 (the paper's re-ID setting): the VGG16 model
# with its backbone swapped. The part RPN and the Part-based CNN read stage 3 (stride 16, 1024
# channels): 16 x 16 cells at 256 pixels. Embedding: K * N_part + C = 256 * 7 + 600 = 2392.
# Re-ID uses CCL on identities (MCCL is for model-year verification) and test-time flip
# averaging.
_base_ = './eianet_vgg16.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, ),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    rpn_head=dict(in_channels=1024),
    global_branch=dict(in_channels=1024),
    metric_head=dict(
        loss_embed=dict(_delete_=True, type='CoupledClusterLoss', margin=1.0,
                        loss_weight=1.0)),
    test_cfg=dict(flip=True))
