# VERI-Wild re-ID (256 x 256): the VeRi-776 pipelines and loaders on VERI-Wild's layout. Test
# on Small (3,000 query ids); set subset='medium' or 'large' for 5,000 / 10,000. Protocol
# 'veri' (same id and same camera removed).
_base_ = './veri776.py'
dataset_type = 'VeRiWildDataset'
data_root = 'data/veriwild/'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, subset='small'))
test_dataloader = val_dataloader
