"""Datasets, samplers and transforms, registered into mmdet's registries."""
from . import samplers, synthcars, transforms  # noqa: F401
from .base_vehicle_dataset import BaseVehicleDataset
from .compcars import CompCarsVerificationDataset, read_compcars_label, viewpoint_pair_name
from .parsing import DataFormatError
from .vehicle_parts import SYNTHCARS_PART_CLASSES, VehiclePartsDataset
from .vehicleid import VehicleIDDataset, read_vehicleid_model_attr
from .veri776 import VeRi776Dataset, parse_veri_name, parse_veri_xml
from .veriwild import VeRiWildDataset, read_veriwild_vehicle_info

__all__ = [
    'BaseVehicleDataset', 'CompCarsVerificationDataset', 'DataFormatError',
    'SYNTHCARS_PART_CLASSES', 'VeRi776Dataset', 'VeRiWildDataset', 'VehicleIDDataset',
    'VehiclePartsDataset', 'parse_veri_name', 'parse_veri_xml', 'read_compcars_label',
    'read_vehicleid_model_attr', 'read_veriwild_vehicle_info', 'viewpoint_pair_name'
]
