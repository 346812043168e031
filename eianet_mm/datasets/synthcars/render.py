"""Draw one vehicle image (numpy + OpenCV primitives) with its part boxes.

The vehicle is drawn in car units through affine frames (one per visible face: side, front,
rear; oblique views put a shortened face beside a shortened side). Every year-dependent part is
drawn only inside its slot, and everything else (paint, marks, background, light, blur, noise,
occluder) comes from the scene and the marks, so rendering one vehicle and scene with two model
years changes pixels only inside the changed parts' slots (widened by the blur radius).
"""
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Tuple, Union

import cv2
import numpy as np

from .config import PART_NAMES, SynthCarsConfig
from .parts import ROLE_COLORS, PartVariant
from .scene import Scene
from .streams import stream
from .world import Box, ModelGeometry, VehicleMarks

PixBox = Tuple[int, int, int, int]

_GLASS = (92, 66, 48)
_LABEL = {name: i for i, name in enumerate(PART_NAMES)}
_GRILLE_OUTLINES = {
    'rect': [[(0, 0), (1, 0), (1, 1), (0, 1)]],
    'trapezoid': [[(0, 0), (1, 0), (0.85, 1), (0.15, 1)]],
    'hexagon': [[(0.15, 0), (0.85, 0), (1, 0.5), (0.85, 1), (0.15, 1), (0, 0.5)]],
    'kidney': [[(0, 0.05), (0.47, 0), (0.47, 1), (0, 0.95)], [(0.53, 0), (1, 0.05), (1, 0.95),
                                                             (0.53, 1)]],
    'slot': [[(0, 0.12), (1, 0.12), (1, 0.88), (0, 0.88)]],
}


@dataclass
class Rendering:
    """A rendered image before JPEG encoding.

    Args:
        image (np.ndarray): ``[H, W, 3]`` uint8, BGR.
        parts (list): Visible part boxes ``(label, (x1, y1, x2, y2))``: 0-based pixel edges
            (x2, y2 exclusive), inside the image; label indexes :data:`PART_NAMES`.
        car_box (tuple[int]): The vehicle's box ``(x1, y1, x2, y2)``, same convention.
        regions (dict[str, list]): Pixel boxes of every slot drawn, by part kind (``grille``
            too), clipped to the image, visible or not.
        blur_radius (int): Half the blur kernel: how far a pixel change can spread.
        designs (tuple[str]): The kinds whose design (the model year's variant) is drawn in
            a slot that passes the part-box visibility test, sorted (``grille`` too). A
            face view's wheels are plain tyres and a hidden light shows nothing, so these
            are the designs a viewer can compare.
    """

    image: np.ndarray
    parts: List[Tuple[int, PixBox]]
    car_box: PixBox
    regions: Dict[str, List[PixBox]]
    blur_radius: int
    designs: Tuple[str, ...] = ()


class _Frame:
    """Maps car units (x right, y up) to pixel coordinates (continuous; pixel i is [i, i+1))."""

    def __init__(self, ox: float, oy: float, sx: float, sy: float) -> None:
        self.ox, self.oy, self.sx, self.sy = ox, oy, sx, sy
        self._scale = np.asarray([sx, -sy])
        self._offset = np.asarray([ox, oy])

    def xy(self, pts) -> np.ndarray:
        return np.asarray(pts, dtype=np.float64) * self._scale + self._offset

    def unit(self, slot: Box, uv: np.ndarray, mirror: bool = False) -> np.ndarray:
        """Map unit-box points (u right, v down) onto a slot."""
        x0, y0, x1, y1 = slot
        if mirror:
            scale = np.asarray([-self.sx * (x1 - x0), self.sy * (y1 - y0)])
            offset = np.asarray([self.ox + self.sx * x1, self.oy - self.sy * y1])
        else:
            scale = np.asarray([self.sx * (x1 - x0), self.sy * (y1 - y0)])
            offset = np.asarray([self.ox + self.sx * x0, self.oy - self.sy * y1])
        return uv * scale + offset

    def box(self, slot: Box) -> Tuple[float, float, float, float]:
        xa, xb = self.ox + self.sx * slot[0], self.ox + self.sx * slot[2]
        ya, yb = self.oy - self.sy * slot[1], self.oy - self.sy * slot[3]
        return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))


class _Painter:
    """Collects drawing calls on one image plus the slots and part boxes they create."""

    def __init__(self, img: np.ndarray, body: Tuple[int, int, int]) -> None:
        self.img = img
        self.colors = dict(ROLE_COLORS)
        b = np.asarray(body, dtype=np.float64)
        self.colors['body'] = tuple(int(v) for v in b)
        self.colors['body_dark'] = tuple(int(v) for v in b * 0.62)
        self.colors['body_shade'] = tuple(int(v) for v in b * 0.82)
        self.colors['glass'] = _GLASS
        # (kind, box in pixels, whether the kind's design is drawn in it)
        self.slots: List[Tuple[str, Tuple[float, float, float, float], bool]] = []

    def poly(self, pts: np.ndarray, role: Union[str, Tuple[int, int, int]]) -> None:
        color = self.colors[role] if isinstance(role, str) else role
        cv2.fillPoly(self.img, [np.round((pts - 0.5) * 16).astype(np.int32)], color,
                     cv2.LINE_AA, 4)

    def template(self, fr: _Frame, slot: Box, prims, mirror: bool = False,
                 rotate: Optional[float] = None) -> None:
        """Draw a part design into its slot; nothing (anti-aliasing included) leaves the slot's
        pixel box, so a design change touches no pixel outside it."""
        size = self.img.shape[0]
        x0, y0, x1, y1 = _pixel_box(fr.box(slot), size)
        if x1 <= x0 or y1 <= y0:
            return
        crop = np.ascontiguousarray(self.img[y0:y1, x0:x1])
        offset = np.asarray([x0, y0], dtype=np.float64)
        if rotate is not None:
            c, s = math.cos(rotate), math.sin(rotate)
            rot = np.asarray([[c, s], [-s, c]])
        for uv, role in prims:
            if rotate is not None:
                uv = (uv - 0.5) @ rot + 0.5
            pts = fr.unit(slot, uv, mirror) - offset
            cv2.fillPoly(crop, [np.round((pts - 0.5) * 16).astype(np.int32)],
                         self.colors[role], cv2.LINE_AA, 4)
        self.img[y0:y1, x0:x1] = crop

    def slot(self, kind: str, fr: _Frame, slot: Box, design: bool = False) -> None:
        """Record a slot; ``design``: the part's design was drawn into it."""
        self.slots.append((kind, fr.box(slot), design))


def _mirror(slot: Box) -> Box:
    return (-slot[2], slot[1], -slot[0], slot[3])


def _rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.asarray([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=np.float64)


def _circle(cx: float, cy: float, rx: float, ry: float, n: int = 24) -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


_UNIT_CIRCLE = _circle(0.5, 0.5, 0.5, 0.5, 28)


@lru_cache(maxsize=1)
def _font() -> np.ndarray:
    """36 glyphs of 5 x 3 cells (the plate "text"), fixed for every seed."""
    r = stream(0, 'plate_font')
    glyphs = []
    while len(glyphs) < 36:
        g = (r.random((5, 3)) < 0.55).astype(np.float32)
        if 5 <= g.sum() <= 12 and not any(np.array_equal(g, h) for h in glyphs):
            glyphs.append(g)
    return np.stack(glyphs)


def _draw_plate(p: _Painter, fr: _Frame, slot: Box, marks: VehicleMarks, mirror: bool) -> None:
    p.poly(fr.unit(slot, _rect(0, 0, 1, 1)), marks.plate_color)
    x0, y0, x1, y1 = fr.box(slot)
    tx0, tx1 = int(round(x0 + 0.1 * (x1 - x0))), int(round(x1 - 0.1 * (x1 - x0)))
    ty0, ty1 = int(round(y0 + 0.2 * (y1 - y0))), int(round(y1 - 0.2 * (y1 - y0)))
    if tx1 - tx0 < 3 or ty1 - ty0 < 2:
        return
    font = _font()
    raster = np.zeros((5, len(marks.plate_text) * 4 - 1), np.float32)
    for k, g in enumerate(marks.plate_text):
        raster[:, k * 4:k * 4 + 3] = font[g]
    if mirror:
        raster = raster[:, ::-1]
    mask = cv2.resize(raster, (tx1 - tx0, ty1 - ty0), interpolation=cv2.INTER_AREA)
    h, w = p.img.shape[:2]
    cx0, cy0, cx1, cy1 = max(tx0, 0), max(ty0, 0), min(tx1, w), min(ty1, h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    m = mask[cy0 - ty0:cy1 - ty0, cx0 - tx0:cx1 - tx0, None]
    region = p.img[cy0:cy1, cx0:cx1].astype(np.float32)
    ink = np.asarray((25, 25, 25), np.float32)
    p.img[cy0:cy1, cx0:cx1] = np.round(region * (1 - m) + ink * m).astype(np.uint8)


def _draw_face(p: _Painter, fr: _Frame, g: ModelGeometry, variants: Mapping[str, PartVariant],
               marks: VehicleMarks, rear: bool, wheels: bool, mirror: bool) -> None:
    """Front or rear face, centred at x = 0; ``mirror`` is True when the frame is mirrored."""
    half, c, b, h = g.width / 2, g.clearance, g.belt, g.roof
    slots = g.rear_slots if rear else g.front_slots
    low = 0.5 * c  # bumpers reach lower than the side sills
    p.poly(fr.xy([(-half, low + 0.01), (-half, b - 0.025), (-half + 0.02, b), (half - 0.02, b),
                  (half, b - 0.025), (half, low + 0.01), (half - 0.01, low),
                  (-half + 0.01, low)]), 'body')
    top = half * g.greenhouse_top
    p.poly(fr.xy([(-half * 0.92, b), (-top, h), (top, h), (half * 0.92, b)]), 'body_shade')
    glass = slots['wind_glass']
    gx, gy0, gy1 = glass[2], glass[1], glass[3]
    gtop = top - (0.014 if not rear else 0.03)
    p.poly(fr.xy([(-gx, gy0), (-gtop, gy1), (gtop, gy1), (gx, gy0)]), 'glass')
    p.slot('wind_glass', fr, glass)
    if not rear:
        for (u, v, w, hh, color) in marks.stickers:
            x0 = glass[0] + u * (glass[2] - glass[0])
            y1 = glass[3] - v * (glass[3] - glass[1])
            p.poly(fr.xy(_rect(x0, y1 - hh * (glass[3] - glass[1]),
                               x0 + w * (glass[2] - glass[0]), y1)), color)
        p.poly(fr.xy(_rect(-half * g.intake_width, c + 0.008, half * g.intake_width, c + 0.024)),
               'dark')
        grille = slots['grille']
        for outline in _GRILLE_OUTLINES[g.grille_shape]:
            p.poly(fr.unit(grille, np.asarray(outline, np.float64)), 'dark')
        p.template(fr, grille, variants['grille'].primitives)
        p.slot('grille', fr, grille, design=True)
        light_kind = 'head_light'
    else:
        p.poly(fr.xy(_rect(-half + 0.01, b - 0.004, half - 0.01, b - 0.001)), 'body_dark')
        p.poly(fr.xy(_rect(-half, c + 0.026, half, c + 0.031)), 'body_dark')
        for side in {0: (), 1: (1,), 2: (1, -1)}[g.exhaust]:
            p.poly(fr.xy(_circle(side * half * 0.6, c + 0.008, 0.014, 0.007, 12)), 'dark')
        light_kind = 'tail_light'
    light = slots[light_kind]
    for s, m in ((light, False), (_mirror(light), True)):
        p.template(fr, s, variants[light_kind].primitives, mirror=m)
        p.slot(light_kind, fr, s, design=True)
    p.template(fr, slots['logo'], variants['logo'].primitives)
    p.slot('logo', fr, slots['logo'], design=True)
    _draw_plate(p, fr, slots['plate'], marks, mirror)
    p.slot('plate', fr, slots['plate'])
    mir = slots['back_mirror']
    for s in (mir, _mirror(mir)):
        p.poly(fr.xy(_rect(*s)), 'body')
        if rear:
            x0, y0, x1, y1 = s
            dx, dy = 0.2 * (x1 - x0), 0.2 * (y1 - y0)
            p.poly(fr.xy(_rect(x0 + dx, y0 + dy, x1 - dx, y1 - dy)), 'glass')
        p.slot('back_mirror', fr, s)
    if wheels:
        for s in (slots['wheel'], _mirror(slots['wheel'])):
            p.poly(fr.xy(_rect(*s)), 'tyre')
            p.slot('wheel', fr, s)


def _draw_side(p: _Painter, fr: _Frame, g: ModelGeometry, variants: Mapping[str, PartVariant],
               marks: VehicleMarks, wheel_angle: float, details: bool) -> None:
    """Side profile facing left (front at x = 0); ``details``: light slivers and mirror."""
    c, b, h = g.clearance, g.belt, g.roof
    bt = b + 0.01
    pts = [(0.012, c), (0.0, b - 0.035), (0.06, b), (g.hood_x, b + 0.012),
           (g.roof_front_x, h), (g.roof_rear_x, h)]
    if g.style == 'pickup':
        pts += [(g.roof_rear_x + 0.005, b + 0.03), (0.985, b + 0.03), (1.0, b - 0.03), (0.99, c)]
        glass_rear = (g.roof_rear_x - 0.012, b + 0.02)
    else:
        pts += [(g.rear_glass_x, bt), (0.96, bt), (1.0, bt - 0.035), (0.99, c)]
        glass_rear = (g.rear_glass_x - 0.03, b + 0.02)
    for x in g.wheel_x:  # arches first, the body covers their upper half
        p.poly(fr.xy(_circle(x, g.wheel_radius, g.wheel_radius * 1.12,
                             g.wheel_radius * 1.12)), 'dark')
    p.poly(fr.xy(pts), 'body')
    p.poly(fr.xy([(g.hood_x + 0.03, b + 0.02), (g.roof_front_x + 0.015, h - 0.018),
                  (g.roof_rear_x - 0.015, h - 0.018), glass_rear]), 'glass')
    mid = (g.hood_x + glass_rear[0]) / 2
    p.poly(fr.xy(_rect(mid - 0.01, b, mid + 0.01, h)), 'body')
    p.poly(fr.xy(_rect(mid - 0.002, c + 0.03, mid + 0.002, b)), 'body_dark')
    p.poly(fr.xy(_rect(0.06, b - 0.004, 0.96, b - 0.001)), 'body_dark')
    for (x, y, rx, ry) in marks.dents:
        p.poly(fr.xy(_circle(x, y, rx, ry, 12)), 'body_dark')
    for name in ('wheel_front', 'wheel_rear'):
        s = g.side_slots[name]
        p.poly(fr.unit(s, _UNIT_CIRCLE), 'tyre')
        p.template(fr, s, variants['wheel'].primitives, rotate=wheel_angle)
        p.slot('wheel', fr, s, design=True)
    if details:
        for kind in ('head_light', 'tail_light'):
            p.template(fr, g.side_slots[kind], variants[kind].primitives)
            p.slot(kind, fr, g.side_slots[kind], design=True)
        x0, y0, x1, y1 = g.side_slots['back_mirror']
        p.poly(fr.xy([(x0, y0 + 0.006), (x1, y0), (x1, y1), (x0 + 0.01, y1)]), 'body_shade')
        p.slot('back_mirror', fr, g.side_slots['back_mirror'])


@lru_cache(maxsize=8)
def _ramp_grids(size: int) -> Tuple[np.ndarray, np.ndarray]:
    t = np.linspace(-1, 1, size, dtype=np.float32)
    return np.meshgrid(t, t)


@lru_cache(maxsize=4)
def _noise_bank(size: int) -> np.ndarray:
    """A fixed field of standard normal noise, twice the image side (the same in every
    process and for every seed)."""
    return stream(0, 'noise_bank', size).standard_normal((2 * size, 2 * size, 3),
                                                         dtype=np.float32)


def _noise(size: int, seed: int) -> np.ndarray:
    """The image's noise pattern: a window of the bank chosen (and signed) by ``seed``."""
    oy, ox = (seed // size) % size, seed % size
    window = _noise_bank(size)[oy:oy + size, ox:ox + size]
    return -window if (seed // (size * size)) % 2 else window


def _draw_background(img: np.ndarray, scene: Scene) -> None:
    size = img.shape[0]
    hy = int(round(scene.horizon * size))
    img[:hy] = scene.sky
    img[hy:] = scene.ground
    for kind, q, color in scene.clutter:
        if kind == 'rect':
            cv2.rectangle(img, (int(q[0] * size), int(q[1] * size)),
                          (int(q[2] * size), int(q[3] * size)), color, -1)
        elif kind == 'circle':
            cv2.circle(img, (int(q[0] * size), int(q[1] * size)), max(1, int(q[2] * size)),
                       color, -1)
        else:
            cv2.line(img, (int(q[0] * size), int(q[1] * size)),
                     (int(q[2] * size), int(q[3] * size)), color, max(1, int(q[4] * size)))


def _draw_occluder(img: np.ndarray, mask: np.ndarray, occ, car: Tuple[float, float, float, float]
                   ) -> None:
    kind, q, color = occ
    x0, y0, x1, y1 = car
    w, h = x1 - x0, y1 - y0
    size = img.shape[0]
    if kind == 'pole':
        cx, half = x0 + q[0] * w, q[1] * size / 2
        pts = _rect(cx - half, -1, cx + half, size + 1)
    elif kind == 'box':
        bx0 = x0 + q[0] * w
        pts = _rect(bx0, y1 - q[2] * h, bx0 + q[1] * w, size + 1)
    else:
        pts = _circle(x0 + q[0] * w, y0 + q[1] * h, q[2] * w, q[3] * h, 20)
    ipts = [np.round((pts - 0.5) * 16).astype(np.int32)]
    cv2.fillPoly(img, ipts, color, cv2.LINE_AA, 4)
    cv2.fillPoly(mask, ipts, 1, cv2.LINE_8, 4)


def _pixel_box(b: Tuple[float, float, float, float], size: int,
               clip: bool = True) -> PixBox:
    x0, y0 = int(math.floor(b[0] + 1e-6)), int(math.floor(b[1] + 1e-6))
    x1, y1 = int(math.ceil(b[2] - 1e-6)), int(math.ceil(b[3] - 1e-6))
    if clip:
        x0, y0 = min(max(x0, 0), size), min(max(y0, 0), size)
        x1, y1 = min(max(x1, 0), size), min(max(y1, 0), size)
    return (x0, y0, x1, y1)


def render_vehicle(geometry: ModelGeometry, variants: Mapping[str, PartVariant],
                   marks: VehicleMarks, scene: Scene, cfg: SynthCarsConfig) -> Rendering:
    """Draw one image.

    Args:
        geometry (ModelGeometry): The model's shape.
        variants (Mapping[str, PartVariant]): The model year's part designs.
        marks (VehicleMarks): The vehicle's paint and marks.
        scene (Scene): The nuisance.
        cfg (SynthCarsConfig): Image size and part-box rules.

    Returns:
        Rendering: The image and its boxes.
    """
    size = cfg.image_size
    g = geometry
    img = np.empty((size, size, 3), np.uint8)
    _draw_background(img, scene)
    half = g.width / 2
    face_ext = max(half, g.front_slots['back_mirror'][2])
    view = scene.view
    yaw = math.radians(scene.yaw)
    kf, ks = math.cos(yaw), math.sin(yaw)
    # Composite layout: list of (what, offset in composite units, horizontal factor).
    if view in (1, 2):
        extent, parts_layout = 2 * face_ext, [('face', face_ext, 1.0)]
    elif view == 3:
        extent, parts_layout = 1.0, [('side', 0.0, 1.0)]
    elif view == 4:
        extent = kf * 2 * face_ext + ks
        parts_layout = [('side', kf * 2 * face_ext, ks), ('face', kf * face_ext, kf)]
    else:
        extent = ks + kf * 2 * face_ext
        parts_layout = [('side', 0.0, ks), ('face', ks + kf * face_ext, kf)]
    s = min(scene.scale * size / extent, 0.92 * size / g.roof)
    cx = size * (0.5 + scene.shift[0])
    cy = size * (0.5 + scene.shift[1])
    ground = cy + s * g.roof / 2
    left = cx - s * extent / 2
    car = (left, ground - s * g.roof, left + s * extent, ground)
    shadow = np.asarray(scene.ground, np.float64) * 0.45
    cv2.fillPoly(img, [np.round((_circle(cx, ground, s * extent * 0.55, max(2.0, s * 0.03), 24)
                                 - 0.5) * 16).astype(np.int32)],
                 tuple(int(v) for v in shadow), cv2.LINE_AA, 4)
    p = _Painter(img, marks.color)
    for what, off, k in parts_layout:
        if scene.facing_right:
            fr = _Frame(left + s * (extent - off), ground, -s * k, s)
        else:
            fr = _Frame(left + s * off, ground, s * k, s)
        if what == 'side':
            _draw_side(p, fr, g, variants, marks, scene.wheel_angle, details=view == 3)
        else:
            _draw_face(p, fr, g, variants, marks, rear=view in (2, 5), wheels=view in (1, 2),
                       mirror=scene.facing_right)
    mask = np.zeros((size, size), np.uint8)
    if scene.occluder is not None:
        _draw_occluder(img, mask, scene.occluder, car)
    # Light, blur and noise: pointwise except the blur.
    xx, yy = _ramp_grids(size)
    angle, amp = scene.gradient
    field = np.float32(scene.gain) * (np.float32(1.0) + np.float32(amp) * (
        np.float32(math.cos(angle)) * xx + np.float32(math.sin(angle)) * yy))
    gains = cv2.merge([field * np.float32(c) for c in scene.cast])
    f = cv2.multiply(img, gains, dtype=cv2.CV_32F)
    radius = 0
    if scene.blur_sigma >= 0.3:
        radius = int(math.ceil(3 * scene.blur_sigma))
        f = cv2.GaussianBlur(f, (2 * radius + 1, 2 * radius + 1), scene.blur_sigma)
    if scene.noise_sigma > 0:
        f += _noise(size, scene.noise_seed) * np.float32(scene.noise_sigma)
    image = np.clip(f + 0.5, 0, 255).astype(np.uint8)
    # Boxes.
    parts: List[Tuple[int, PixBox]] = []
    regions: Dict[str, List[PixBox]] = {}
    designs = set()
    for kind, fbox, design in p.slots:
        clipped = _pixel_box(fbox, size)
        if clipped[2] > clipped[0] and clipped[3] > clipped[1]:
            regions.setdefault(kind, []).append(clipped)
        if kind not in _LABEL and not design:
            continue
        full = _pixel_box(fbox, size, clip=False)
        full_area = (full[2] - full[0]) * (full[3] - full[1])
        x0, y0, x1, y1 = clipped
        if full_area <= 0 or min(x1 - x0, y1 - y0) < cfg.min_part_size:
            continue
        visible = (x1 - x0) * (y1 - y0) - int(mask[y0:y1, x0:x1].sum())
        if visible >= cfg.min_part_visibility * full_area:
            if kind in _LABEL:
                parts.append((_LABEL[kind], clipped))
            if design:
                designs.add(kind)
    parts.sort()
    return Rendering(image=image, parts=parts, car_box=_pixel_box(car, size), regions=regions,
                     blur_radius=radius, designs=tuple(sorted(designs)))
