"""A picture of what SynthCars looks like: one vehicle in the five viewpoints, one model's years
rendered with the same vehicle and scene, and one re-ID vehicle seen by several cameras, with
the part boxes drawn."""
import dataclasses
import os
import os.path as osp
from typing import List, Optional, Tuple

import cv2
import numpy as np

from .config import PART_NAMES, VIEWPOINTS, SynthCarsConfig
from .render import Rendering, render_vehicle
from .scene import sample_scene
from .streams import stream
from .world import CarModel, build_world, sample_marks

#: BGR colour of each part class's boxes.
PART_COLORS: Tuple[Tuple[int, int, int], ...] = (
    (0, 255, 255), (0, 0, 255), (255, 0, 255), (255, 255, 0), (255, 128, 0), (0, 165, 255),
    (0, 255, 0))


def _tile(r: Rendering, caption: str, scale: int) -> np.ndarray:
    size = r.image.shape[0] * scale
    img = cv2.resize(r.image, (size, size), interpolation=cv2.INTER_NEAREST)
    for label, (x1, y1, x2, y2) in r.parts:
        cv2.rectangle(img, (x1 * scale, y1 * scale), (x2 * scale - 1, y2 * scale - 1),
                      PART_COLORS[label], 1)
    strip = np.full((16, size, 3), 255, np.uint8)
    cv2.putText(strip, caption, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1,
                cv2.LINE_AA)
    return np.concatenate([strip, img], axis=0)


def _legend(width: int) -> np.ndarray:
    out = np.full((20, width, 3), 255, np.uint8)
    x = 4
    for name, color in zip(PART_NAMES, PART_COLORS):
        cv2.rectangle(out, (x, 5), (x + 10, 15), color, 2)
        cv2.putText(out, name, (x + 14, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1,
                    cv2.LINE_AA)
        x += 22 + 7 * len(name)
    return out


def _year_model(models: Tuple[CarModel, ...]) -> CarModel:
    """The model whose later years change the most parts seen from the front-side."""
    seen = {'head_light', 'logo', 'wheel'}
    return max(models, key=lambda m: (sum(bool(set(y.changed) & seen) for y in m.years[1:]),
                                      -m.model_id))


def draw_sample_grid(out_file: Optional[str] = None, cfg: Optional[SynthCarsConfig] = None,
                     seed: int = 0, scale: int = 2) -> np.ndarray:
    """Render the sample picture (three rows of five tiles and a legend of part colours).

    Row 1: one vehicle in the five viewpoints. Row 2: one model's years rendered with the same
    vehicle and scene (only the changed parts differ), then its first and last year from the
    side. Row 3: one VeRi-776 vehicle seen by its cameras.

    Args:
        out_file (str, optional): Write the picture here (PNG). Defaults to None.
        cfg (SynthCarsConfig, optional): The world's settings; None uses the defaults.
            Defaults to None.
        seed (int): The seed. Defaults to 0.
        scale (int): Pixel magnification of the tiles. Defaults to 2.

    Returns:
        np.ndarray: The picture, BGR.
    """
    cfg = SynthCarsConfig() if cfg is None else cfg
    world = build_world(cfg, seed)
    rows: List[List[np.ndarray]] = []
    # Row 1: viewpoints.
    m = world.models[0]
    marks = sample_marks(stream(seed, 'grid', 'marks'))
    base = sample_scene(stream(seed, 'grid', 'scene'), cfg)
    base = dataclasses.replace(base, occluder=None, shift=(0.0, 0.0), scale=0.8)
    row = []
    for view in range(1, 6):
        scene = dataclasses.replace(base, view=view)
        r = render_vehicle(m.geometry, m.years[0].variants, marks, scene, cfg)
        row.append(_tile(r, f'{VIEWPOINTS[view]} (view {view})', scale))
    rows.append(row)
    # Row 2: years of one model, same vehicle and scene; then its first and last year from
    # the side (wheels, tail lights).
    m = _year_model(world.models)
    row = []
    for y, v in [(y, 4) for y in m.years[:3]] + [(m.years[0], 3), (m.years[-1], 3),
                                                 (m.years[-1], 2)]:
        r = render_vehicle(m.geometry, y.variants, marks, dataclasses.replace(base, view=v),
                           cfg)
        changed = ', '.join(y.changed) if y.changed else 'first year'
        row.append(_tile(r, f'{y.year} {VIEWPOINTS[v]}: {changed}', scale))
    rows.append(row[:5])
    # Row 3: a re-ID vehicle through its cameras.
    v = world.veri_vehicles[0]
    rm = world.models[v.model_index]
    row = []
    for k in range(5):
        cam = world.veri_cameras[v.cameras[k % len(v.cameras)] - 1]
        scene = sample_scene(stream(seed, 'grid', 'camera', k), cfg, cam)
        r = render_vehicle(rm.geometry, rm.years[v.year_index].variants, v.marks, scene, cfg)
        row.append(_tile(r, f'id {v.vid:04d} camera c{cam.cam_id:03d}', scale))
    rows.append(row)
    grid = np.concatenate([np.concatenate(row, axis=1) for row in rows], axis=0)
    grid = np.concatenate([grid, _legend(grid.shape[1])], axis=0)
    if out_file is not None:
        os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
        if not cv2.imwrite(out_file, grid, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
            raise OSError(f'could not write {out_file}')
    return grid
