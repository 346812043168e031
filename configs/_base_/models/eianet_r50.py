# EIA-Net with ResNet-50 for re-ID at 256 x 256 (the paper's re-ID setting). The part RPN and
# the Part-based CNN read stage 3 (stride 16, 1024 channels): 16 x 16 cells at 256 pixels.
# Embedding: K * N_part + C = 256 * 7 + 600 = 2392. Re-ID uses CCL on identities (MCCL is
# for model-year verification) and test-time flip averaging.
num_parts = 7
model = dict(
    type='EIANet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
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
    feat_index=-1,
    rpn_head=dict(
        type='PartRPNHead',
        in_channels=1024,
        num_classes=num_parts,
        feat_channels=256,
        anchor_generator=dict(
            type='AnchorGenerator', scales=[1, 2, 4], ratios=[0.5, 1.0, 2.0], strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0.0, 0.0, 0.0, 0.0],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    rmac=dict(type='RMACPooling', coverage='center'),
    global_branch=dict(
        type='PartBasedCNN',
        in_channels=1024,
        shared_channels=256,
        body_channels=(256, 256),
        half_channels=(256, 256),
        fc_channels=200),
    metric_head=dict(
        type='MetricHead',
        loss_rmac=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=0.5),
        loss_global=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=0.5),
        loss_embed=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=1.0),
        loss_align=dict(type='EnforcedIntraClassAlignmentLoss', loss_weight=1.0),
        normalize=False),
    stage='metric',
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.1,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            part_select='nms',
            score_thr=0.5,
            nms_pre=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        flip=True))
