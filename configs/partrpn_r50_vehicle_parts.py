# Stage 1 of EIA-Net for re-ID: ImageNet ResNet-50 + the part RPN trained on vehicle part
# boxes (COCO format) at 256 x 256, the re-ID input size. Stage 2: eianet_r50_{veri776,
# vehicleid,veriwild}.py.
_base_ = [
    './_base_/models/eianet_r50.py', './_base_/datasets/vehicle_parts_coco.py',
    './_base_/schedules/sgd_partrpn_20k.py', './_base_/default_runtime.py'
]
img_scale = (256, 256)
train_pipeline = [
    dict(type='LoadVehicleImage', skip_bad=False, backend_args=_base_.backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=_base_.meta_keys),
]
test_pipeline = [
    dict(type='LoadVehicleImage', backend_args=_base_.backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=_base_.meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(stage='part_rpn')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5000, by_epoch=False))
