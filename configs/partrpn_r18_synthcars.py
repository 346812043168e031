# Stage 1 of EIA-Net on SynthCars: the small ResNet-18 and the part RPN trained on the part
# boxes (RPN losses); evaluated with per-part box AP. Stage 2: eianet_r18_synthcars.py.
_base_ = [
    './_base_/models/eianet_r18_synthcars.py', './_base_/datasets/synthcars_parts.py',
    './_base_/schedules/sgd_partrpn_synthcars.py', './_base_/default_runtime.py'
]
model = dict(stage='part_rpn')
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=_base_.max_iters, by_epoch=False))
