"""The main job (SynthCars → part RPN → EIA-Net and baselines → report) and its parts."""
from .main_job import DEMO_METHODS, METHODS, MainJob, Method
from .runs import build_trained_model, collect_features, load_config, train

__all__ = [
    'DEMO_METHODS', 'METHODS', 'MainJob', 'Method', 'build_trained_model', 'collect_features',
    'load_config', 'train'
]
