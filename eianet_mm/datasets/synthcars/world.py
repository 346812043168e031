"""The SynthCars world: makes, models with their years, cameras and re-ID vehicles.

Everything here is drawn from :func:`streams.stream` keyed by what it describes, so the world is
a pure function of ``(config, seed)``. Nuisance that belongs to a vehicle (paint, plate, marks)
is keyed by the vehicle's identity and never by its model or year.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from .config import SynthCarsConfig
from .parts import FAMILIES, PartVariant, make_variant
from .scene import Camera, sample_camera
from .streams import stream

Box = Tuple[float, float, float, float]  # (x0, y0, x1, y1) in car units, y upwards
BGR = Tuple[int, int, int]

#: Body styles: (VeRi typeID, CompCars type id). VeRi: 1 sedan, 2 suv, 4 hatchback, 5 mpv,
#: 6 pickup, 9 estate; CompCars: 1 MPV, 2 SUV, 3 sedan, 4 hatchback, 7 estate, 8 pickup, 9 sports.
STYLES: Dict[str, Tuple[int, int]] = {
    'sedan': (1, 3), 'hatchback': (4, 4), 'suv': (2, 2), 'mpv': (5, 1), 'pickup': (6, 8),
    'estate': (9, 7), 'sports': (1, 9)}

#: Paint colours: name, BGR, VeRi colorID (1 yellow, 2 orange, 3 green, 4 gray, 5 red, 6 blue,
#: 7 white, 8 golden, 9 brown, 10 black). VehicleID's color_attr ids are indices of this list.
COLORS: Tuple[Tuple[str, BGR, int], ...] = (
    ('black', (30, 30, 32), 10), ('white', (235, 235, 232), 7), ('silver', (190, 188, 185), 4),
    ('gray', (120, 120, 118), 4), ('red', (40, 40, 190), 5), ('blue', (170, 80, 30), 6),
    ('yellow', (40, 200, 230), 1), ('green', (60, 140, 50), 3), ('brown', (40, 70, 110), 9),
    ('orange', (30, 120, 235), 2), ('golden', (80, 165, 200), 8))

PLATE_COLORS: Tuple[BGR, ...] = ((235, 235, 235), (40, 200, 235), (170, 90, 30))

_SYLLABLES = ('ka', 'ro', 'vel', 'tan', 'mi', 'sor', 'de', 'lux', 'bra', 'no', 'zen', 'ta',
              'qui', 'mar', 'os', 'fen', 'ri', 'gal', 'tor', 've', 'sa', 'lin', 'do', 'ex')

#: Ranges of the side profile per style: roof height, belt height, windshield base x, roof
#: front x, roof rear x, rear-glass base x.
_PROFILE = {
    'sedan': ((0.34, 0.38), (0.22, 0.25), (0.27, 0.32), (0.42, 0.46), (0.64, 0.70), (0.79, 0.83)),
    'hatchback': ((0.36, 0.40), (0.22, 0.25), (0.24, 0.28), (0.38, 0.42), (0.78, 0.84),
                  (0.93, 0.96)),
    'suv': ((0.44, 0.50), (0.28, 0.32), (0.22, 0.26), (0.33, 0.37), (0.86, 0.90), (0.95, 0.97)),
    'mpv': ((0.44, 0.48), (0.25, 0.28), (0.14, 0.18), (0.28, 0.32), (0.88, 0.92), (0.96, 0.98)),
    'pickup': ((0.42, 0.46), (0.28, 0.31), (0.24, 0.27), (0.34, 0.37), (0.52, 0.56),
               (0.57, 0.59)),
    'estate': ((0.36, 0.39), (0.22, 0.25), (0.26, 0.30), (0.40, 0.44), (0.86, 0.90), (0.94, 0.96)),
    'sports': ((0.28, 0.31), (0.18, 0.20), (0.34, 0.40), (0.50, 0.55), (0.66, 0.72), (0.84, 0.90)),
}

GRILLE_SHAPES = ('rect', 'trapezoid', 'hexagon', 'kidney', 'slot')


@dataclass(frozen=True)
class ModelGeometry:
    """The shape a model fixes: side profile, face layout and part slots (car units, y up).

    The side frame runs from the front bumper (x = 0) to the rear (x = 1); the face frames
    (front and rear) are centred (x = 0) with the same heights. Slots of paired parts are
    given for the right-hand one (x > 0); the left one is its mirror image.
    """

    style: str
    width: float
    clearance: float
    belt: float
    roof: float
    hood_x: float
    roof_front_x: float
    roof_rear_x: float
    rear_glass_x: float
    wheel_radius: float
    wheel_x: Tuple[float, float]
    greenhouse_top: float
    grille_shape: str
    intake_width: float
    exhaust: int
    front_slots: Dict[str, Box]
    rear_slots: Dict[str, Box]
    side_slots: Dict[str, Box]


@dataclass(frozen=True)
class ModelYear:
    """One released year of a model.

    Args:
        year (int): The year (a CompCars folder name).
        variants (dict[str, PartVariant]): The design of each changeable part.
        changed (tuple[str]): Parts changed from the previous year (empty for the first).
    """

    year: int
    variants: Dict[str, PartVariant]
    changed: Tuple[str, ...]


@dataclass(frozen=True)
class CarModel:
    """A vehicle model: its make, geometry and released years."""

    model_id: int
    make_id: int
    name: str
    geometry: ModelGeometry
    years: Tuple[ModelYear, ...]
    split: str


@dataclass(frozen=True)
class VehicleMarks:
    """What makes one vehicle itself: paint and instance marks.

    Args:
        color (tuple[int]): BGR paint.
        color_index (int): Index of the named paint in :data:`COLORS`.
        plate_color (tuple[int]): BGR plate background.
        plate_text (tuple[int]): Glyph ids (0..35) of the plate text.
        stickers (tuple): ``(u, v, w, h, (b, g, r))`` windshield stickers, relative to the
            windshield's box.
        dents (tuple): ``(x, y, rx, ry)`` dents on the side panel, in side-frame car units.
    """

    color: BGR
    color_index: int
    plate_color: BGR
    plate_text: Tuple[int, ...]
    stickers: Tuple[Tuple[float, float, float, float, BGR], ...]
    dents: Tuple[Tuple[float, float, float, float], ...]


@dataclass(frozen=True)
class ReidVehicle:
    """A re-ID identity: its model-year, marks, split and camera sightings.

    Args:
        vid (int): Vehicle id (1-based).
        model_index (int): Index into ``World.models``.
        year_index (int): Index into the model's years.
        marks (VehicleMarks): Paint and marks.
        split (str): ``train`` or ``test``.
        cameras (tuple[int]): Camera ids (1-based) that see it, sorted.
    """

    vid: int
    model_index: int
    year_index: int
    marks: VehicleMarks
    split: str
    cameras: Tuple[int, ...]


@dataclass(frozen=True)
class World:
    """Everything the images are drawn from."""

    cfg: SynthCarsConfig
    seed: int
    make_names: Tuple[str, ...]
    models: Tuple[CarModel, ...]
    veri_vehicles: Tuple[ReidVehicle, ...]
    veri_cameras: Tuple[Camera, ...]
    vehicleid_vehicles: Tuple[ReidVehicle, ...]
    vehicleid_cameras: Tuple[Camera, ...]


def _u(r: np.random.Generator, lo_hi: Tuple[float, float]) -> float:
    return float(r.uniform(*lo_hi))


def _sample_geometry(r: np.random.Generator) -> ModelGeometry:
    styles = sorted(STYLES)
    style = styles[int(r.integers(len(styles)))]
    roof_r, belt_r, hood_r, rf_r, rr_r, rg_r = _PROFILE[style]
    roof, belt, hood_x = _u(r, roof_r), _u(r, belt_r), _u(r, hood_r)
    width = _u(r, (0.42, 0.46) if style in ('suv', 'mpv', 'pickup') else (0.38, 0.44))
    clearance = _u(r, {'suv': (0.08, 0.1), 'pickup': (0.08, 0.1), 'sports': (0.04, 0.05)}.get(
        style, (0.05, 0.07)))
    wheel_radius = _u(r, (0.09, 0.105) if style in ('suv', 'pickup') else (0.075, 0.092))
    wheel_x = (_u(r, (0.15, 0.19)), _u(r, (0.8, 0.84)))
    half = width / 2
    # Front face, right-hand slots.
    e = _u(r, (0.006, 0.018))
    hl_w, hl_h = width * _u(r, (0.17, 0.24)), _u(r, (0.03, 0.05))
    hl_top = belt - _u(r, (0.008, 0.02))
    grille_top = belt - _u(r, (0.01, 0.025))
    plate_w = _u(r, (0.11, 0.13))
    plate_h = plate_w * 0.27
    grille_w = min(width - 2 * (e + hl_w) - 0.02, width * _u(r, (0.3, 0.45)))
    grille_h = min(_u(r, (0.035, 0.065)), grille_top - (clearance + 0.012) - plate_h - 0.02)
    plate_top = grille_top - grille_h - _u(r, (0.008, 0.016))
    logo_w = _u(r, (0.04, 0.055))
    logo_h = logo_w * _u(r, (0.65, 0.9))
    logo_cy = grille_top - grille_h / 2
    mirror_w, mirror_h = _u(r, (0.025, 0.035)), _u(r, (0.02, 0.03))
    tyre_w = _u(r, (0.04, 0.052))
    mirror = (half * 0.93, belt + 0.01, half * 0.93 + mirror_w, belt + 0.01 + mirror_h)
    tyre = (half - 0.015 - tyre_w, 0.0, half - 0.015, 0.5 * clearance + 0.008)
    greenhouse_top = _u(r, (0.68, 0.8))
    front_slots = {
        'head_light': (half - e - hl_w, hl_top - hl_h, half - e, hl_top),
        'grille': (-grille_w / 2, grille_top - grille_h, grille_w / 2, grille_top),
        'logo': (-logo_w / 2, logo_cy - logo_h / 2, logo_w / 2, logo_cy + logo_h / 2),
        'plate': (-plate_w / 2, plate_top - plate_h, plate_w / 2, plate_top),
        'wind_glass': (-(half * 0.92 - 0.016), belt + 0.01, half * 0.92 - 0.016, roof - 0.018),
        'back_mirror': mirror,
        'wheel': tyre,
    }
    # Rear face.
    tl_w, tl_h = width * _u(r, (0.16, 0.26)), _u(r, (0.03, 0.06))
    tl_top = belt - _u(r, (0.006, 0.018))
    rlogo_cy = tl_top - tl_h * _u(r, (0.3, 0.6))
    rplate_top = min(tl_top - tl_h, rlogo_cy - logo_h / 2) - _u(r, (0.01, 0.02))
    rplate_top = max(rplate_top, clearance + 0.02 + plate_h)
    rear_slots = {
        'tail_light': (half - e - tl_w, tl_top - tl_h, half - e, tl_top),
        'logo': (-logo_w / 2, rlogo_cy - logo_h / 2, logo_w / 2, rlogo_cy + logo_h / 2),
        'plate': (-plate_w / 2, rplate_top - plate_h, plate_w / 2, rplate_top),
        'wind_glass': (-(half * 0.86 - 0.02), belt + 0.025, half * 0.86 - 0.02, roof - 0.025),
        'back_mirror': mirror,
        'wheel': tyre,
    }
    # Side view: slivers of the lights at the ends, the near mirror and two wheels.
    sliver_w = _u(r, (0.045, 0.065))
    side_top = belt - 0.038
    side_slots = {
        'head_light': (0.006, side_top - hl_h, 0.006 + sliver_w, side_top),
        'tail_light': (0.994 - sliver_w, side_top - tl_h, 0.994, side_top),
        'back_mirror': (hood_x - 0.012, belt + 0.004, hood_x + 0.026, belt + 0.03),
        'wheel_front': (wheel_x[0] - wheel_radius, 0.0, wheel_x[0] + wheel_radius,
                        2 * wheel_radius),
        'wheel_rear': (wheel_x[1] - wheel_radius, 0.0, wheel_x[1] + wheel_radius,
                       2 * wheel_radius),
    }
    return ModelGeometry(
        style=style, width=width, clearance=clearance, belt=belt, roof=roof, hood_x=hood_x,
        roof_front_x=_u(r, rf_r), roof_rear_x=_u(r, rr_r), rear_glass_x=_u(r, rg_r),
        wheel_radius=wheel_radius, wheel_x=wheel_x, greenhouse_top=greenhouse_top,
        grille_shape=GRILLE_SHAPES[int(r.integers(len(GRILLE_SHAPES)))],
        intake_width=_u(r, (0.3, 0.7)), exhaust=int(r.integers(0, 3)),
        front_slots=front_slots, rear_slots=rear_slots, side_slots=side_slots)


def _pick_family(r: np.random.Generator, kind: str, exclude: Optional[str] = None) -> str:
    names = [f for f in FAMILIES[kind] if f != exclude]
    return names[int(r.integers(len(names)))]


def _sample_years(cfg: SynthCarsConfig, seed: int, model_id: int,
                  make_logo: str) -> Tuple[ModelYear, ...]:
    r = stream(seed, 'years', model_id)
    variants: Dict[str, PartVariant] = {}
    for kind in FAMILIES:
        family = make_logo if kind == 'logo' else _pick_family(r, kind)
        variants[kind] = make_variant(kind, family, stream(seed, 'design', model_id, kind, 0))
    numbers = stream(seed, 'year_numbers', model_id)  # years do not depend on the designs
    year = int(numbers.integers(2004, 2013))
    years = [ModelYear(year=year, variants=dict(variants), changed=())]
    for y in range(1, cfg.years_per_model):
        n_change = int(r.integers(cfg.min_parts_per_year, cfg.max_parts_per_year + 1))
        order = r.permutation(len(cfg.year_parts))[:n_change]
        changed = tuple(sorted(cfg.year_parts[i] for i in order))
        for kind in changed:
            family = _pick_family(r, kind, exclude=variants[kind].family)
            variants[kind] = make_variant(kind, family, stream(seed, 'design', model_id, kind, y))
        year += int(numbers.integers(1, 4))
        years.append(ModelYear(year=year, variants=dict(variants), changed=changed))
    return tuple(years)


def _make_name(r: np.random.Generator, taken: set) -> str:
    while True:
        n = int(r.integers(2, 4))
        name = ''.join(_SYLLABLES[int(i)] for i in r.integers(len(_SYLLABLES), size=n))
        name = name.capitalize()
        if name not in taken:
            taken.add(name)
            return name


def _model_name(r: np.random.Generator, make_name: str, taken: set) -> str:
    while True:
        letter = 'ABCDEFGHJKLMNPRSTUVWXYZ'[int(r.integers(23))]
        name = f'{make_name} {letter}{int(r.integers(1, 10))}'
        if name not in taken:
            taken.add(name)
            return name


def _test_models(cfg: SynthCarsConfig, seed: int) -> List[int]:
    """Test model ids: two from each make in a seeded order until enough (hard pairs exist)."""
    r = stream(seed, 'split', 'verification')
    n_test = cfg.num_test_models
    chosen: List[int] = []
    for make in r.permutation(cfg.makes):
        models = [int(make) * cfg.models_per_make + k + 1 for k in range(cfg.models_per_make)]
        take = r.permutation(models)[:min(2, n_test - len(chosen))]
        chosen += [int(m) for m in take]
        if len(chosen) == n_test:
            break
    for make in r.permutation(cfg.makes):  # more test models than 2 per make allow
        for m in range(cfg.models_per_make):
            model_id = int(make) * cfg.models_per_make + m + 1
            if len(chosen) < n_test and model_id not in chosen:
                chosen.append(model_id)
    return sorted(chosen)


def sample_marks(r: np.random.Generator) -> VehicleMarks:
    """Draw a vehicle's paint and instance marks (independent of its model and year).

    Args:
        r (np.random.Generator): The vehicle's own stream.

    Returns:
        VehicleMarks: The marks.
    """
    ci = int(r.integers(len(COLORS)))
    base = np.asarray(COLORS[ci][1], dtype=np.float64)
    color = tuple(int(v) for v in np.clip(base * r.uniform(0.85, 1.12) + r.normal(0, 8, 3), 0,
                                          255))
    stickers = tuple(
        (float(r.uniform(0.05, 0.85)), float(r.uniform(0.05, 0.8)), float(r.uniform(0.06, 0.12)),
         float(r.uniform(0.1, 0.2)), tuple(int(v) for v in r.integers(40, 255, 3)))
        for _ in range(int(r.integers(0, 4))))
    dents = tuple((float(r.uniform(0.3, 0.7)), float(r.uniform(0.1, 0.2)),
                   float(r.uniform(0.015, 0.03)), float(r.uniform(0.01, 0.02)))
                  for _ in range(int(r.integers(0, 3))))
    return VehicleMarks(
        color=color, color_index=ci,
        plate_color=PLATE_COLORS[int(r.integers(len(PLATE_COLORS)))],
        plate_text=tuple(int(v) for v in r.integers(0, 36, 6)), stickers=stickers, dents=dents)


def _reid_vehicles(cfg: SynthCarsConfig, seed: int, dataset: str,
                   n_classes: int, years_per_model: int) -> Tuple[ReidVehicle, ...]:
    r = stream(seed, 'reid', dataset)
    order: List[int] = []
    while len(order) < cfg.instances:  # every model-year gets instances in turn
        order += [int(c) for c in r.permutation(n_classes)]
    test = set(int(v) for v in r.permutation(cfg.instances)[:cfg.num_reid_test_ids])
    out = []
    for k in range(cfg.instances):
        cls = order[k]
        cams = stream(seed, 'sightings', dataset, k + 1).permutation(cfg.cameras)
        out.append(ReidVehicle(
            vid=k + 1, model_index=cls // years_per_model, year_index=cls % years_per_model,
            marks=sample_marks(stream(seed, 'vehicle', dataset, k + 1)),
            split='test' if k in test else 'train',
            cameras=tuple(sorted(int(c) + 1 for c in cams[:cfg.cameras_per_instance]))))
    return tuple(out)


def build_world(cfg: SynthCarsConfig, seed: int) -> World:
    """Draw the whole world of a dataset.

    Args:
        cfg (SynthCarsConfig): Sizes.
        seed (int): The dataset seed.

    Returns:
        World: Makes, models, cameras and re-ID vehicles.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f'the SynthCars seed must be a non-negative integer, got {seed!r}')
    names_rng = stream(seed, 'names')
    taken: set = set()
    make_names = tuple(_make_name(names_rng, taken) for _ in range(cfg.makes))
    test_ids = set(_test_models(cfg, seed))
    models = []
    for make in range(cfg.makes):
        make_logo = _pick_family(stream(seed, 'make', make + 1), 'logo')
        for k in range(cfg.models_per_make):
            model_id = make * cfg.models_per_make + k + 1
            r = stream(seed, 'model', model_id)
            geometry = _sample_geometry(r)
            name = _model_name(r, make_names[make], taken)
            models.append(CarModel(
                model_id=model_id, make_id=make + 1, name=name, geometry=geometry,
                years=_sample_years(cfg, seed, model_id, make_logo),
                split='test' if model_id in test_ids else 'train'))
    n_classes = len(models) * cfg.years_per_model
    return World(
        cfg=cfg, seed=seed, make_names=make_names, models=tuple(models),
        veri_vehicles=_reid_vehicles(cfg, seed, 'veri', n_classes, cfg.years_per_model),
        veri_cameras=tuple(sample_camera(seed, 'veri', c + 1) for c in range(cfg.cameras)),
        vehicleid_vehicles=_reid_vehicles(cfg, seed, 'vehicleid', n_classes,
                                          cfg.years_per_model),
        vehicleid_cameras=tuple(sample_camera(seed, 'vehicleid', c + 1)
                                for c in range(cfg.cameras)))
