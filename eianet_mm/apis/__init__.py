"""The Python API: build a model, extract embeddings, verify pairs, search a gallery, export."""
from .export import (EXPORT_CFG_OPTIONS, EmbeddingExportModule, bgr_images_to_input,
                     export_onnx, fixed_input_size, run_onnx)
from .feature_maps import feature_maps
from .gallery import GalleryIndex
from .image_list import collect_images, read_image_list, write_image_list
from .inference import (VerificationResult, build_test_pipeline, extract, init_model,
                        model_distance_metric, part_names_of, verify)
from .thresholds import find_thresholds, thresholds_from_metrics, thresholds_to_meta

__all__ = [
    'EXPORT_CFG_OPTIONS', 'EmbeddingExportModule', 'GalleryIndex', 'VerificationResult',
    'bgr_images_to_input', 'build_test_pipeline', 'collect_images', 'export_onnx', 'extract',
    'feature_maps', 'find_thresholds', 'fixed_input_size', 'init_model',
    'model_distance_metric', 'part_names_of', 'read_image_list', 'run_onnx',
    'thresholds_from_metrics', 'thresholds_to_meta', 'verify', 'write_image_list'
]
