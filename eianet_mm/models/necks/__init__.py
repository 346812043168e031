"""models.necks."""
from .global_pooling_fc import GlobalPoolingFC
from .part_based_cnn import PartBasedCNN
from .part_projection import PartProjection
from .rmac_pooling import RMACPooling

__all__ = ['GlobalPoolingFC', 'PartBasedCNN', 'PartProjection', 'RMACPooling']
