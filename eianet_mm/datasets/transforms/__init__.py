"""Data transforms, registered into mmdet's TRANSFORMS."""
from .loading import BadImageError, LoadVehicleImage, read_vehicle_image

__all__ = ['BadImageError', 'LoadVehicleImage', 'read_vehicle_image']
