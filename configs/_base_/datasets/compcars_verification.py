# CompCars (web nature) verification, VGG16 input size. The paper's year-level accuracy is
# measured on the model-level pair files relabelled from the paths (derive_year_pairs):
# "same" only when make, model and year match.
dataset_type = 'CompCarsVerificationDataset'
data_root = 'data/compcars/'  # the folder holding data/image, data/label, data/train_test_split
img_scale = (224, 224)  # (w, h)
backend_args = None
# P positive sets (model-years) x K images each; 2 x 4 = 8 is the paper's batch size.
num_ids = 2
num_instances = 4
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
             'flip_direction', 'id_label', 'coarse_label', 'cam_id', 'is_query', 'viewpoint')
split_dir = 'data/train_test_split/verification/'

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
        data_root=data_root,
        mode='train',
        label_level='year',
        crop_to_car_box=False,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        mode='test',
        label_level='year',
        pair_files=dict(
            model_easy=split_dir + 'verification_pairs_easy.txt',
            model_medium=split_dir + 'verification_pairs_medium.txt',
            model_hard=split_dir + 'verification_pairs_hard.txt'),
        derive_year_pairs=True,
        crop_to_car_box=False,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='VerificationMetric', metric='euclidean', n_folds=10, seed=0)
# tools/test.py also reports the AUC of every viewpoint pair of every list (CompCars label
# files' viewpoints): which views a network can compare.
test_evaluator = dict(val_evaluator, by_viewpoint=True)
