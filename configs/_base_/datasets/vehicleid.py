# VehicleID re-ID (256 x 256): the VeRi-776 pipelines and loaders on VehicleID's layout. Test
# on the Small list (800 ids); set subset='medium' or 'large' for 1,600 / 2,400. Protocol
# 'vehicleid': the metric draws one gallery image per id, 10 seeded draws.
_base_ = './veri776.py'
dataset_type = 'VehicleIDDataset'
data_root = 'data/vehicleid/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, subset='small'))
test_dataloader = val_dataloader
