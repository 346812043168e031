# SynthCars in the VehicleID layout (re-ID): the SynthCars VeRi-776 pipelines and loaders.
# test_list_800.txt keeps its real name (Small) but holds SynthCars' scaled-down id count.
# Protocol 'vehicleid'.
_base_ = './synthcars_veri776.py'
dataset_type = 'VehicleIDDataset'
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root='data/synthcars/vehicleid/'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root='data/synthcars/vehicleid/', subset='small'))
test_dataloader = val_dataloader
