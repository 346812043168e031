# EIA-Net with VGG16 (the paper's verification setting): conv5_3 (stride 16, 512 channels)
# feeds the part RPN (K = 256) and the Part-based CNN (C = 3 x 200 = 600).
# Embedding: K * N_part + C = 256 * 7 + 600 = 2392.
num_parts = 7  # head_light, tail_light, logo, plate, wind_glass, back_mirror, wheel
model = dict(
    type='EIANet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        type='VGG',
        depth=16,
        out_indices=(4, ),
        with_last_pool=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg16')),
    feat_index=-1,
    rpn_head=dict(
        type='PartRPNHead',
        in_channels=512,
        num_classes=num_parts,
        feat_channels=256,
        # 3 scales x 3 ratios as the paper; the paper's default scales (8, 16, 32) suit
        # ~600-pixel inputs, parts in 224-pixel images need 16..64-pixel anchors.
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
        in_channels=512,
        shared_channels=256,
        body_channels=(256, 256),
        half_channels=(256, 256),
        fc_channels=200),
    metric_head=dict(
        type='MetricHead',
        loss_rmac=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=0.5),
        loss_global=dict(type='CoupledClusterLoss', margin=1.0, loss_weight=0.5),
        loss_embed=dict(
            type='ModifiedCoupledClusterLoss', margin=1.0, hard_margin=1.0, loss_weight=1.0),
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
        flip=False))
