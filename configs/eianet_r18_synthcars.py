# Stage 2 of EIA-Net on SynthCars (the full model: RPN + CR-MAC + EIAL + MCCL): model-year
# positive sets (P x K = 2 x 4), the part RPN of stage 1 (partrpn_r18_synthcars.py) frozen,
# the rest trained with CCL (R-MAC branch, 0.5), CCL (Part-based CNN branch, 0.5), MCCL (the
# CR-MAC embedding, 1.0) and EIAL (1.0). Evaluated on the model- and year-level pairs.
_base_ = [
    './_base_/models/eianet_r18_synthcars.py', './_base_/datasets/synthcars_verification.py',
    './_base_/schedules/sgd_metric_synthcars.py', './_base_/default_runtime.py'
]
# BN statistics stay those of stage 1: trained on batches of P = 2 classes, BN lets the
# network separate the two classes through the batch statistics, which does not carry over
# to test time (training-set 1-NN fell to chance).
model = dict(stage='metric', backbone=dict(norm_eval=True))
# The last checkpoint of stage 1 (its max_iters is in sgd_partrpn_synthcars.py).
load_from = 'work_dirs/partrpn_r18_synthcars/iter_1200.pth'
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=_base_.max_iters, by_epoch=False))
