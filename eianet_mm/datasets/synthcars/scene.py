"""Nuisance: how a vehicle is seen (viewpoint, scale, position, light, blur, noise, background,
occlusion), and the cameras of the re-ID sets, each with its own nuisance profile.

A :class:`Scene` is drawn from a stream keyed by the image's identity and never reads the
vehicle's model or year, so nuisance cannot decide a verification answer.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from .config import SynthCarsConfig
from .streams import stream

BGR = Tuple[int, int, int]
Shape = Tuple[str, Tuple[float, ...], BGR]

#: Views a web (CompCars) image is drawn from, uniformly: front, rear, side, front-side,
#: rear-side.
WEB_VIEW_WEIGHTS: Tuple[float, ...] = (0.2, 0.2, 0.2, 0.2, 0.2)


@dataclass(frozen=True)
class Camera:
    """A camera's nuisance profile (re-ID sets).

    Args:
        cam_id (int): 1-based camera id.
        view_weights (tuple[float]): Probabilities of viewpoints 1..5.
        facing_right_prob (float): Probability that a vehicle faces right (traffic direction).
        gain (float): Illumination gain.
        cast (tuple[float]): Per-channel (BGR) colour cast factors.
        blur (tuple[float]): Range of the Gaussian blur sigma in pixels.
        noise (tuple[float]): Range of the noise standard deviation (grey levels).
        sky (tuple[int]): BGR of the upper background.
        ground (tuple[int]): BGR of the road.
        horizon (float): Height of the horizon as a fraction of the image.
        scale (tuple[float]): Range of the vehicle's width as a fraction of the image.
        clutter (tuple): The camera's fixed background shapes (see :class:`Scene`).
    """

    cam_id: int
    view_weights: Tuple[float, ...]
    facing_right_prob: float
    gain: float
    cast: Tuple[float, float, float]
    blur: Tuple[float, float]
    noise: Tuple[float, float]
    sky: BGR
    ground: BGR
    horizon: float
    scale: Tuple[float, float]
    clutter: Tuple[Shape, ...]


@dataclass(frozen=True)
class Scene:
    """Everything about one image except the vehicle itself.

    Args:
        view (int): CompCars viewpoint code 1..5.
        facing_right (bool): Mirror the vehicle so that it faces right.
        yaw (float): Oblique views: angle (degrees) between the face and the image plane; the
            face is shortened by cos(yaw), the side by sin(yaw).
        scale (float): Width of the vehicle as a fraction of the image width.
        shift (tuple[float]): Offset of the vehicle's centre, fractions of the image.
        wheel_angle (float): Rotation of the wheel rims (radians).
        gain (float): Illumination gain.
        gradient (tuple[float]): Illumination ramp: (direction in radians, amplitude).
        cast (tuple[float]): Per-channel (BGR) colour cast factors.
        blur_sigma (float): Gaussian blur sigma in pixels (none below 0.3).
        noise_sigma (float): Standard deviation of the additive Gaussian noise.
        noise_seed (int): Picks the noise pattern (a window of a fixed noise field).
        sky (tuple[int]): BGR of the upper background.
        ground (tuple[int]): BGR of the road.
        horizon (float): Height of the horizon, a fraction of the image.
        clutter (tuple): Background shapes in image fractions: ``('rect', (x0, y0, x1, y1),
            bgr)``, ``('circle', (cx, cy, r), bgr)``, ``('line', (x0, y0, x1, y1, width), bgr)``.
        occluder (tuple | None): ``(kind, params, bgr)`` in fractions of the vehicle's box:
            ``('pole', (x, width))``, ``('box', (x0, width, height))`` rising from the bottom
            edge, ``('blob', (cx, cy, rx, ry))``; None for no occluder.
    """

    view: int
    facing_right: bool
    yaw: float
    scale: float
    shift: Tuple[float, float]
    wheel_angle: float
    gain: float
    gradient: Tuple[float, float]
    cast: Tuple[float, float, float]
    blur_sigma: float
    noise_sigma: float
    noise_seed: int
    sky: BGR
    ground: BGR
    horizon: float
    clutter: Tuple[Shape, ...]
    occluder: Optional[Shape]


def _bgr(values: np.ndarray) -> BGR:
    return tuple(int(v) for v in np.clip(values, 0, 255))


def sample_clutter(r: np.random.Generator, n: int) -> Tuple[Shape, ...]:
    """Draw background shapes (see :class:`Scene` for their parameters).

    Args:
        r (np.random.Generator): The stream.
        n (int): Number of shapes.

    Returns:
        tuple: The shapes.
    """
    out = []
    for _ in range(n):
        kind = ('rect', 'circle', 'line')[int(r.integers(3))]
        color = _bgr(r.integers(30, 230, 3))
        if kind == 'rect':
            x0, y0 = r.uniform(-0.1, 0.9, 2)
            params = (float(x0), float(y0), float(x0 + r.uniform(0.05, 0.4)),
                      float(y0 + r.uniform(0.05, 0.4)))
        elif kind == 'circle':
            params = (float(r.uniform(0, 1)), float(r.uniform(0, 1)),
                      float(r.uniform(0.03, 0.15)))
        else:
            params = tuple(float(v) for v in r.uniform(-0.1, 1.1, 4)) + (
                float(r.uniform(0.005, 0.02)),)
        out.append((kind, params, color))
    return tuple(out)


def sample_camera(seed: int, dataset: str, cam_id: int) -> Camera:
    """Draw a camera's profile.

    Args:
        seed (int): The dataset seed.
        dataset (str): ``veri`` (any viewpoint, per-camera traffic direction) or
            ``vehicleid`` (front or rear only).
        cam_id (int): 1-based camera id.

    Returns:
        Camera: The profile.
    """
    r = stream(seed, 'camera', dataset, cam_id)
    if dataset == 'vehicleid':
        w = (1.0, 0.0, 0.0, 0.0, 0.0) if r.random() < 0.5 else (0.0, 1.0, 0.0, 0.0, 0.0)
    else:
        w = ((0.4, 0.0, 0.15, 0.45, 0.0), (0.0, 0.4, 0.15, 0.0, 0.45),
             (0.1, 0.1, 0.5, 0.15, 0.15))[int(r.integers(3))]
    sky = _bgr(r.integers(90, 230, 3))
    ground = _bgr(np.full(3, r.integers(70, 150)) + r.integers(-12, 12, 3))
    clutter = sample_clutter(r, int(r.integers(2, 6)))
    blur_lo = float(r.uniform(0.0, 0.8))
    noise_lo = float(r.uniform(1.0, 5.0))
    scale_lo = float(r.uniform(0.62, 0.78))
    return Camera(
        cam_id=cam_id, view_weights=w, facing_right_prob=float(r.choice([0.1, 0.9])),
        gain=float(r.uniform(0.65, 1.25)), cast=tuple(float(v) for v in r.uniform(0.88, 1.12, 3)),
        blur=(blur_lo, blur_lo + 0.5), noise=(noise_lo, noise_lo + 3.0), sky=sky, ground=ground,
        horizon=float(r.uniform(0.25, 0.55)), scale=(scale_lo, scale_lo + 0.14), clutter=clutter)


def _occluder(r: np.random.Generator) -> Shape:
    kind = ('pole', 'box', 'blob')[int(r.integers(3))]
    color = _bgr(r.integers(20, 235, 3))
    if kind == 'pole':
        params: Tuple[float, ...] = (float(r.uniform(0.1, 0.9)), float(r.uniform(0.04, 0.1)))
    elif kind == 'box':
        params = (float(r.uniform(-0.1, 0.8)), float(r.uniform(0.2, 0.45)),
                  float(r.uniform(0.2, 0.5)))
    else:
        params = (float(r.uniform(0, 1)), float(r.uniform(0, 1)), float(r.uniform(0.08, 0.18)),
                  float(r.uniform(0.1, 0.25)))
    return (kind, params, color)


def sample_scene(r: np.random.Generator, cfg: SynthCarsConfig,
                 camera: Optional[Camera] = None) -> Scene:
    """Draw the nuisance of one image.

    Args:
        r (np.random.Generator): The image's nuisance stream (keyed by the image's identity,
            never by the model year).
        cfg (SynthCarsConfig): Clutter and occlusion settings.
        camera (Camera, optional): The camera's profile; None draws a "web" image (any
            viewpoint, free light and background). Defaults to None.

    Returns:
        Scene: The nuisance.
    """
    if camera is None:
        weights = np.asarray(WEB_VIEW_WEIGHTS)
        facing_right = bool(r.random() < 0.5)
        scale = float(r.uniform(0.62, 0.92))
        gain = float(r.uniform(0.6, 1.3))
        cast = tuple(float(v) for v in r.uniform(0.9, 1.1, 3))
        blur = float(r.uniform(0.0, 1.0))
        noise = float(r.uniform(0.0, 6.0))
        sky = _bgr(r.integers(60, 240, 3))
        ground = _bgr(np.full(3, r.integers(50, 170)) + r.integers(-20, 20, 3))
        horizon = float(r.uniform(0.25, 0.6))
        clutter = sample_clutter(r, int(r.integers(0, cfg.clutter_max + 1)))
    else:
        weights = np.asarray(camera.view_weights)
        facing_right = bool(r.random() < camera.facing_right_prob)
        scale = float(r.uniform(*camera.scale))
        gain = camera.gain * float(r.uniform(0.92, 1.08))
        cast = camera.cast
        blur = float(r.uniform(*camera.blur))
        noise = float(r.uniform(*camera.noise))
        sky = _bgr(np.asarray(camera.sky) + r.integers(-8, 8, 3))
        ground = _bgr(np.asarray(camera.ground) + r.integers(-6, 6, 3))
        horizon = camera.horizon + float(r.uniform(-0.03, 0.03))
        clutter = camera.clutter + sample_clutter(r, int(r.integers(0, min(2, cfg.clutter_max)
                                                                    + 1)))
    view = int(r.choice(5, p=weights / weights.sum())) + 1
    occluder = _occluder(r) if r.random() < cfg.occlusion_prob else None
    return Scene(
        view=view, facing_right=facing_right, yaw=float(r.uniform(35, 60)), scale=scale,
        shift=(float(r.uniform(-0.07, 0.07)), float(r.uniform(-0.07, 0.07))),
        wheel_angle=float(r.uniform(0, 2 * np.pi)), gain=gain,
        gradient=(float(r.uniform(0, 2 * np.pi)), float(r.uniform(0, 0.35))), cast=cast,
        blur_sigma=blur, noise_sigma=noise, noise_seed=int(r.integers(0, 2**31 - 1)), sky=sky,
        ground=ground, horizon=horizon, clutter=clutter, occluder=occluder)
