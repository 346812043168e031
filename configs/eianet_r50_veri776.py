# Stage 2 of EIA-Net for re-ID on VeRi-776 (ResNet-50, 256 x 256, P x K identity batches):
# the RPN of stage 1 (partrpn_r50_vehicle_parts.py) frozen; CCL on identities for the R-MAC
# branch (0.5), the Part-based CNN branch (0.5) and the CR-MAC embedding (1.0), plus EIAL;
# test-time flip averaging.
_base_ = [
    './_base_/models/eianet_r50.py', './_base_/datasets/veri776.py',
    './_base_/schedules/sgd_metric_20k.py', './_base_/default_runtime.py'
]
# The backbone and part RPN come from the stage-1 checkpoint (no ImageNet download); the
# branches trained here start from their own init_cfg (a stage-1 checkpoint leaves them out).
model = dict(
    stage='metric',
    backbone=dict(init_cfg=None),
    # Not in the paper: the part RPN on the backbone being trained learns the frozen stage-1
    # detector's outputs, so that at test time one backbone pass both finds and describes
    # the parts (test_cfg.part_detector='shared'; 'copy' runs the frozen copy, a second
    # backbone pass). Weight 1 as on SynthCars, where weight 10 held the backbone near its
    # stage-1 features and cost the year level (docs/synthcars_learning.md, section 8).
    loss_part_distill=dict(type='PartDetectorDistillLoss', loss_weight=1.0),
    # On SynthCars the shared detector lost parts and the frozen copy's boxes scored higher
    # at year level (docs/synthcars_learning.md, section 17: that config tests with
    # 'copy'); here the one pass is kept until it is measured on this data.
    test_cfg=dict(part_detector='shared'))
load_from = 'work_dirs/partrpn_r50_vehicle_parts/iter_20000.pth'
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5000, by_epoch=False))
