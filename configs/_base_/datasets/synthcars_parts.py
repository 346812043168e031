# SynthCars part boxes (COCO), for stage 1 of EIA-Net: training the part RPN. The
# images are the CompCars-layout images; file_name is relative to compcars/data/image/.
dataset_type = 'VehiclePartsDataset'
data_root = 'data/synthcars/'
img_scale = (128, 128)  # (w, h)
backend_args = None
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'id_label', 'coarse_label', 'cam_id', 'is_query')

train_pipeline = [
    dict(type='LoadVehicleImage', skip_bad=False, backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadVehicleImage', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='parts/annotations/parts_train.json',
        data_prefix=dict(img='compcars/data/image/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=0),
        box_tolerance=2.0,
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='parts/annotations/parts_test.json',
        data_prefix=dict(img='compcars/data/image/'),
        test_mode=True,
        box_tolerance=2.0,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# Box AP per part class (the paper's Table 1 reports per-part detection accuracy).
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'parts/annotations/parts_test.json',
    metric='bbox',
    classwise=True,
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
