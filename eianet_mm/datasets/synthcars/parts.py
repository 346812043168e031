"""Designs of the parts a model year may change: head light, tail light, logo, wheel rim, grille.

A design ("variant") is a family (the shape a person would name: "oval head light", "five-spoke
rim") with a few per-variant proportions, stored as polygons in a unit box (``u`` to the right,
``v`` downwards, both in [0, 1]) with a colour role each. The renderer maps the unit box onto
the part's slot on the car, so a variant looks the same in every view, only stretched.
"""
import math
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import numpy as np

Primitive = Tuple[np.ndarray, str]  # (polygon [N, 2] in unit coordinates, colour role)

#: BGR colours of the roles (``body`` and ``body_dark`` come from the vehicle's paint).
ROLE_COLORS: Dict[str, Tuple[int, int, int]] = {
    'housing': (48, 46, 44),
    'lamp': (238, 240, 242),
    'lamp_dim': (168, 176, 184),
    'amber': (30, 145, 245),
    'red': (40, 36, 205),
    'dark_red': (28, 22, 112),
    'white': (232, 232, 232),
    'chrome': (210, 210, 214),
    'dark': (28, 28, 30),
    'tyre': (26, 26, 28),
    'rim_dark': (70, 68, 66),
}


@dataclass(frozen=True, eq=False)
class PartVariant:
    """One design of a part (compared by identity: a model year shares its predecessor's
    object for every part it does not change).

    Args:
        kind (str): ``head_light``, ``tail_light``, ``logo``, ``wheel`` or ``grille``.
        family (str): The design family, e.g. ``oval``.
        primitives (tuple): ``(polygon, role)`` pairs in unit coordinates, drawn in order.
    """

    kind: str
    family: str
    primitives: Tuple[Primitive, ...]

    @property
    def name(self) -> str:
        """``<family>`` plus a short digest of the proportions, e.g. ``oval-3fa2``."""
        digest = 0
        for poly, role in self.primitives:
            digest = (digest * 31 + int(np.round(poly * 1000).sum()) + len(role)) % 65536
        return f'{self.family}-{digest:04x}'


def _poly(*pts: Tuple[float, float]) -> np.ndarray:
    return np.asarray(pts, dtype=np.float64)


def _rect(u0: float, v0: float, u1: float, v1: float) -> np.ndarray:
    return _poly((u0, v0), (u1, v0), (u1, v1), (u0, v1))


def _ellipse(cu: float, cv: float, ru: float, rv: float, n: int = 20) -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.stack([cu + ru * np.cos(t), cv + rv * np.sin(t)], axis=1)


def _rounded(u0: float, v0: float, u1: float, v1: float, r: float) -> np.ndarray:
    r = min(r, (u1 - u0) / 2, (v1 - v0) / 2)
    pts = []
    for cu, cv, a0 in ((u1 - r, v0 + r, -90), (u1 - r, v1 - r, 0), (u0 + r, v1 - r, 90),
                       (u0 + r, v0 + r, 180)):
        for a in np.radians(a0 + np.array([0.0, 30.0, 60.0, 90.0])):
            pts.append((cu + r * math.cos(a), cv + r * math.sin(a)))
    return np.asarray(pts)


def _spoke(angle: float, r0: float, r1: float, half_width: float) -> np.ndarray:
    """A spoke of a wheel centred at (0.5, 0.5), from radius r0 to r1."""
    c, s = math.cos(angle), math.sin(angle)
    n_u, n_v = -s * half_width, c * half_width
    return _poly((0.5 + c * r0 + n_u, 0.5 + s * r0 + n_v), (0.5 + c * r1 + n_u, 0.5 + s * r1 + n_v),
                 (0.5 + c * r1 - n_u, 0.5 + s * r1 - n_v), (0.5 + c * r0 - n_u, 0.5 + s * r0 - n_v))


# ----------------------------------------------------------------------------- head lights
def _hl_block(r: np.random.Generator) -> List[Primitive]:
    i = r.uniform(0.1, 0.18)
    return [(_rect(0, 0, 1, 1), 'housing'), (_rect(i, i, 1 - i, 1 - i), 'lamp'),
            (_ellipse(r.uniform(0.25, 0.35), 0.5, 0.16, 0.3), 'housing')]


def _hl_oval(r: np.random.Generator) -> List[Primitive]:
    return [(_ellipse(0.5, 0.5, 0.5, 0.5), 'housing'),
            (_ellipse(r.uniform(0.55, 0.62), 0.5, r.uniform(0.28, 0.34), 0.32), 'lamp')]


def _hl_wedge(r: np.random.Generator) -> List[Primitive]:
    a = r.uniform(0.2, 0.32)
    return [(_poly((0, 0.75), (a, 0), (1, 0), (1, 0.45), (0.55, 1), (0, 1)), 'housing'),
            (_poly((a + 0.06, 0.1), (0.94, 0.1), (0.94, 0.34), (a, 0.34)), 'lamp'),
            (_ellipse(0.3, 0.7, 0.1, 0.16), 'lamp_dim')]


def _hl_twin(r: np.random.Generator) -> List[Primitive]:
    rad = r.uniform(0.3, 0.38)
    return [(_rounded(0, 0, 1, 1, 0.25), 'housing'),
            (_ellipse(0.27, 0.5, rad * 0.55, rad), 'lamp'),
            (_ellipse(0.73, 0.5, rad * 0.55, rad), 'lamp')]


def _hl_strip(r: np.random.Generator) -> List[Primitive]:
    h = r.uniform(0.22, 0.3)
    return [(_rect(0, 0, 1, h), 'lamp'), (_rect(0.55, h + 0.15, 1, 1), 'housing'),
            (_ellipse(0.77, (h + 1.15) / 2, 0.12, 0.2), 'lamp')]


def _hl_boomerang(r: np.random.Generator) -> List[Primitive]:
    w = r.uniform(0.18, 0.26)
    return [(_rect(0, 0, 1, 1), 'housing'),
            (_poly((0.06, 0.08), (0.94, 0.08), (0.94, 0.08 + w * 1.3), (0.06 + w, 0.08 + w * 1.3),
                   (0.06 + w, 0.92), (0.06, 0.92)), 'lamp')]


def _hl_round(r: np.random.Generator) -> List[Primitive]:
    return [(_ellipse(0.5, 0.5, 0.42, 0.5), 'housing'),
            (_ellipse(0.5, 0.5, 0.3, 0.36), 'lamp'),
            (_ellipse(0.5, 0.5, 0.1, r.uniform(0.11, 0.15)), 'housing')]


def _hl_quad(r: np.random.Generator) -> List[Primitive]:
    out: List[Primitive] = [(_rounded(0, 0.1, 1, 0.9, 0.2), 'housing')]
    gap = r.uniform(0.05, 0.08)
    w = (1 - 5 * gap) / 4
    for k in range(4):
        u0 = gap + k * (w + gap)
        out.append((_rect(u0, 0.3, u0 + w, 0.7), 'lamp'))
    return out


# ----------------------------------------------------------------------------- tail lights
def _tl_bar(r: np.random.Generator) -> List[Primitive]:
    b = r.uniform(0.35, 0.45)
    return [(_rect(0, 0, 1, 1), 'red'), (_rect(0.05, b, 0.95, b + 0.22), 'dark_red')]


def _tl_ell(r: np.random.Generator) -> List[Primitive]:
    t = r.uniform(0.3, 0.42)
    return [(_rect(0, 0, 1, 1), 'housing'),
            (_poly((0, 0), (1, 0), (1, t), (t, t), (t, 1), (0, 1)), 'red')]


def _tl_rings(r: np.random.Generator) -> List[Primitive]:
    rad = r.uniform(0.3, 0.4)
    return [(_rect(0, 0, 1, 1), 'housing'), (_ellipse(0.27, 0.5, rad * 0.6, rad), 'red'),
            (_ellipse(0.73, 0.5, rad * 0.6, rad), 'red')]


def _tl_split(r: np.random.Generator) -> List[Primitive]:
    w = r.uniform(0.22, 0.3)
    return [(_rect(0, 0, 1, 1), 'red'), (_rect(0.5 - w / 2, 0.15, 0.5 + w / 2, 0.85), 'white')]


def _tl_segments(r: np.random.Generator) -> List[Primitive]:
    gap = r.uniform(0.06, 0.1)
    w = (1 - 2 * gap) / 3
    return [(_rect(k * (w + gap), 0.05, k * (w + gap) + w, 0.95), 'red') for k in range(3)]


def _tl_trapezoid(r: np.random.Generator) -> List[Primitive]:
    s = r.uniform(0.2, 0.3)
    return [(_poly((s, 0), (1, 0), (1, 1), (0, 1)), 'red'), (_rect(0.1, 0.7, 0.9, 0.9), 'amber')]


def _tl_slim(r: np.random.Generator) -> List[Primitive]:
    h = r.uniform(0.25, 0.35)
    return [(_rect(0, 0.5 - h / 2, 1, 0.5 + h / 2), 'red'), (_rect(0.7, 0, 1, 1), 'red'),
            (_rect(0.76, 0.2, 0.94, 0.8), 'dark_red')]


def _tl_cee(r: np.random.Generator) -> List[Primitive]:
    t = r.uniform(0.22, 0.3)
    return [(_poly((0, 0), (1, 0), (1, t), (t, t), (t, 1 - t), (1, 1 - t), (1, 1), (0, 1)), 'red')]


# ----------------------------------------------------------------------------------- logos
def _lg_ring(r: np.random.Generator) -> List[Primitive]:
    k = r.uniform(0.55, 0.65)
    return [(_ellipse(0.5, 0.5, 0.5, 0.5), 'chrome'),
            (_ellipse(0.5, 0.5, 0.5 * k, 0.5 * k), 'dark')]


def _lg_diamond(r: np.random.Generator) -> List[Primitive]:
    return [(_poly((0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)), 'chrome')]


def _lg_shield(r: np.random.Generator) -> List[Primitive]:
    return [(_poly((0, 0), (1, 0), (1, 0.55), (0.5, 1), (0, 0.55)), 'chrome'),
            (_poly((0.25, 0.2), (0.75, 0.2), (0.75, 0.5), (0.5, 0.75), (0.25, 0.5)), 'dark')]


def _lg_oval_bar(r: np.random.Generator) -> List[Primitive]:
    return [(_ellipse(0.5, 0.5, 0.5, 0.38), 'chrome'), (_rect(0.05, 0.42, 0.95, 0.58), 'dark')]


def _lg_triangle(r: np.random.Generator) -> List[Primitive]:
    return [(_poly((0.5, 0), (1, 1), (0, 1)), 'chrome')]


def _lg_bars(r: np.random.Generator) -> List[Primitive]:
    w = r.uniform(0.2, 0.26)
    return [(_rect(0, 0, w, 1), 'chrome'), (_rect(1 - w, 0, 1, 1), 'chrome'),
            (_rect(w, 0.4, 1 - w, 0.6), 'chrome')]


def _lg_chevron(r: np.random.Generator) -> List[Primitive]:
    t = r.uniform(0.3, 0.38)
    return [(_poly((0, 0), (0.5, 1 - t), (1, 0), (1, t), (0.5, 1), (0, t)), 'chrome')]


def _lg_cross(r: np.random.Generator) -> List[Primitive]:
    w = r.uniform(0.28, 0.34)
    return [(_rect(0.5 - w / 2, 0, 0.5 + w / 2, 1), 'chrome'),
            (_rect(0, 0.5 - w / 2, 1, 0.5 + w / 2), 'chrome')]


# ------------------------------------------------------------------------------ wheel rims
def _wh_spokes5(r: np.random.Generator) -> List[Primitive]:
    rho = r.uniform(0.36, 0.4)
    out: List[Primitive] = [(_ellipse(0.5, 0.5, rho, rho), 'rim_dark')]
    out += [(_spoke(2 * math.pi * k / 5, 0.04, rho, 0.045), 'chrome') for k in range(5)]
    return out + [(_ellipse(0.5, 0.5, 0.08, 0.08), 'chrome')]


def _wh_disc(r: np.random.Generator) -> List[Primitive]:
    rho = r.uniform(0.36, 0.4)
    out: List[Primitive] = [(_ellipse(0.5, 0.5, rho, rho), 'chrome')]
    for k in range(5):
        a = 2 * math.pi * k / 5
        out.append((_ellipse(0.5 + 0.62 * rho * math.cos(a), 0.5 + 0.62 * rho * math.sin(a),
                             0.06, 0.06, 10), 'dark'))
    return out


def _wh_spokes10(r: np.random.Generator) -> List[Primitive]:
    rho = r.uniform(0.36, 0.4)
    out: List[Primitive] = [(_ellipse(0.5, 0.5, rho, rho), 'dark')]
    out += [(_spoke(2 * math.pi * k / 10, 0.05, rho, 0.018), 'chrome') for k in range(10)]
    return out


def _wh_hubcap(r: np.random.Generator) -> List[Primitive]:
    rho = r.uniform(0.36, 0.4)
    return [(_ellipse(0.5, 0.5, rho, rho), 'chrome'),
            (_ellipse(0.5, 0.5, 0.7 * rho, 0.7 * rho), 'rim_dark'),
            (_ellipse(0.5, 0.5, 0.55 * rho, 0.55 * rho), 'chrome')]


def _wh_tri(r: np.random.Generator) -> List[Primitive]:
    rho = r.uniform(0.36, 0.4)
    out: List[Primitive] = [(_ellipse(0.5, 0.5, rho, rho), 'dark')]
    out += [(_spoke(2 * math.pi * k / 3, 0.0, rho, 0.09), 'chrome') for k in range(3)]
    return out


def _wh_dark(r: np.random.Generator) -> List[Primitive]:
    rho = r.uniform(0.36, 0.4)
    return [(_ellipse(0.5, 0.5, rho, rho), 'chrome'),
            (_ellipse(0.5, 0.5, 0.82 * rho, 0.82 * rho), 'dark'),
            (_ellipse(0.5, 0.5, 0.06, 0.06, 10), 'chrome')]


def _wh_turbine(r: np.random.Generator) -> List[Primitive]:
    rho = r.uniform(0.36, 0.4)
    out: List[Primitive] = [(_ellipse(0.5, 0.5, rho, rho), 'chrome')]
    for k in range(6):
        a = 2 * math.pi * k / 6
        b = a + 0.7
        out.append((_poly((0.5 + 0.2 * rho * math.cos(a), 0.5 + 0.2 * rho * math.sin(a)),
                          (0.5 + 0.95 * rho * math.cos(a), 0.5 + 0.95 * rho * math.sin(a)),
                          (0.5 + 0.95 * rho * math.cos(b), 0.5 + 0.95 * rho * math.sin(b))),
                    'dark'))
    return out


# ------------------------------------------------------------------------- grille patterns
# Patterns fill the inner box [0.12, 0.88]^2 of the grille's outline (the model's shape).
def _gr_hbars(r: np.random.Generator) -> List[Primitive]:
    n = int(r.integers(3, 5))
    step = 0.76 / n
    return [(_rect(0.12, 0.12 + k * step + step * 0.3, 0.88, 0.12 + (k + 1) * step), 'chrome')
            for k in range(n)]


def _gr_vbars(r: np.random.Generator) -> List[Primitive]:
    n = int(r.integers(5, 8))
    step = 0.76 / n
    return [(_rect(0.12 + k * step + step * 0.35, 0.12, 0.12 + (k + 1) * step, 0.88), 'chrome')
            for k in range(n)]


def _gr_mesh(r: np.random.Generator) -> List[Primitive]:
    out: List[Primitive] = [(_rect(0.12, 0.12, 0.88, 0.88), 'rim_dark')]
    for k in range(4):
        for j in range(2):
            u0, v0 = 0.14 + k * 0.185, 0.15 + j * 0.37
            out.append((_rect(u0, v0, u0 + 0.12, v0 + 0.3), 'dark'))
    return out


def _gr_dots(r: np.random.Generator) -> List[Primitive]:
    out: List[Primitive] = []
    for k in range(5):
        for j in range(2):
            out.append((_ellipse(0.2 + k * 0.15, 0.32 + j * 0.36, 0.05, 0.12, 8), 'chrome'))
    return out


def _gr_chrome_bar(r: np.random.Generator) -> List[Primitive]:
    h = r.uniform(0.14, 0.2)
    return [(_rect(0.12, 0.5 - h / 2, 0.88, 0.5 + h / 2), 'chrome')]


#: The design families of each kind, in a fixed order.
FAMILIES: Dict[str, Dict[str, Callable[[np.random.Generator], List[Primitive]]]] = {
    'head_light': dict(block=_hl_block, oval=_hl_oval, wedge=_hl_wedge, twin=_hl_twin,
                       strip=_hl_strip, boomerang=_hl_boomerang, round=_hl_round, quad=_hl_quad),
    'tail_light': dict(bar=_tl_bar, ell=_tl_ell, rings=_tl_rings, split=_tl_split,
                       segments=_tl_segments, trapezoid=_tl_trapezoid, slim=_tl_slim,
                       cee=_tl_cee),
    'logo': dict(ring=_lg_ring, diamond=_lg_diamond, shield=_lg_shield, oval_bar=_lg_oval_bar,
                 triangle=_lg_triangle, bars=_lg_bars, chevron=_lg_chevron, cross=_lg_cross),
    'wheel': dict(spokes5=_wh_spokes5, disc=_wh_disc, spokes10=_wh_spokes10, hubcap=_wh_hubcap,
                  tri=_wh_tri, dark=_wh_dark, turbine=_wh_turbine),
    'grille': dict(hbars=_gr_hbars, vbars=_gr_vbars, mesh=_gr_mesh, dots=_gr_dots,
                   chrome_bar=_gr_chrome_bar),
}


def make_variant(kind: str, family: str, rng: np.random.Generator) -> PartVariant:
    """Draw one design of a family.

    Args:
        kind (str): A key of :data:`FAMILIES`.
        family (str): A family of that kind.
        rng (np.random.Generator): Draws the design's proportions.

    Returns:
        PartVariant: The design.
    """
    if kind not in FAMILIES or family not in FAMILIES[kind]:
        raise ValueError(f'unknown part design {kind}/{family}')
    prims = tuple((np.asarray(p, dtype=np.float64), role)
                  for p, role in FAMILIES[kind][family](rng))
    return PartVariant(kind=kind, family=family, primitives=prims)
