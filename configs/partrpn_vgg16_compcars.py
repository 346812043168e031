# Stage 1 of EIA-Net, the paper's verification setting: ImageNet VGG16 + the part RPN trained
# with the RPN multi-task loss on vehicle part boxes (COCO format; the paper used its own
# surveillance part set). Stage 2: eianet_vgg16_compcars.py.
_base_ = [
    './_base_/models/eianet_vgg16.py', './_base_/datasets/vehicle_parts_coco.py',
    './_base_/schedules/sgd_partrpn_20k.py', './_base_/default_runtime.py'
]
model = dict(stage='part_rpn')
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5000, by_epoch=False))
