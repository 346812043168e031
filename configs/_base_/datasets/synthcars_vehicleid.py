# SynthCars in the VehicleID layout (re-ID). test_list_800.txt keeps its real name
# (Small) but holds SynthCars' scaled-down id count. Protocol 'vehicleid'.
dataset_type = 'VehicleIDDataset'
data_root = 'data/synthcars/'
img_scale = (128, 128)  # (w, h)
backend_args = None
# P identities x K images each per batch.
num_ids = 8
num_instances = 4
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'id_label', 'coarse_label', 'cam_id', 'is_query')

train_pipeline = [
    dict(type='LoadVehicleImage', skip_bad=False, backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]
# Test-time flip is done inside the model (test_cfg.flip).
test_pipeline = [
    dict(type='LoadVehicleImage', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='PackDetInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=num_ids * num_instances,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='PKSampler', num_ids=num_ids, num_instances=num_instances),
    dataset=dict(
        type=dataset_type,
        data_root=data_root + 'vehicleid/',
        mode='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root + 'vehicleid/',
        mode='test',
        subset='small',
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='ReIDMetric', metric='euclidean', max_rank=50, num_draws=10, seed=0)
test_evaluator = val_evaluator
