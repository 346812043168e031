"""SynthCars: the embedded, procedurally generated vehicle dataset.

``generate(out_dir, cfg, seed, num_workers)`` writes it in the CompCars, VeRi-776 and
VehicleID layouts plus a COCO part-box file (docs/interfaces.md, "SynthCars on disk");
``draw_sample_grid`` draws a picture of samples; ``evaluate_difficulty`` scores a colour
histogram and a part oracle on a generated set's pair files.
"""
from .config import PART_NAMES, PRESETS, VIEWPOINTS, SynthCarsConfig
from .difficulty import evaluate_difficulty
from .generator import ImageJob, SynthCarsSummary, generate, plan_images
from .pairs import PAIR_FILES
from .parts import PartVariant
from .render import Rendering, render_vehicle
from .scene import Camera, Scene, sample_scene
from .visualize import draw_sample_grid
from .world import CarModel, World, build_world, sample_marks

__all__ = [
    'PART_NAMES', 'PRESETS', 'VIEWPOINTS', 'SynthCarsConfig', 'evaluate_difficulty', 'ImageJob',
    'SynthCarsSummary', 'generate', 'plan_images', 'PAIR_FILES', 'PartVariant', 'Rendering',
    'render_vehicle', 'Camera', 'Scene', 'sample_scene', 'draw_sample_grid', 'CarModel', 'World',
    'build_world', 'sample_marks'
]
