"""Rendering: year variants change only their parts' pixels; part boxes follow the rules."""
import dataclasses

import numpy as np
import pytest

from eianet_mm.datasets.synthcars import (PART_NAMES, SynthCarsConfig, build_world,
                                          render_vehicle, sample_marks, sample_scene)
from eianet_mm.datasets.synthcars.streams import stream

HIDDEN = {  # parts that must never be boxed in a viewpoint
    1: {'tail_light'}, 2: {'head_light'}, 3: {'logo', 'plate', 'wind_glass'},
    4: {'tail_light'}, 5: {'head_light'}}
CLEAN = {  # every part expected in an unoccluded, centred view
    1: {'head_light', 'logo', 'plate', 'wind_glass', 'back_mirror', 'wheel'},
    2: {'tail_light', 'logo', 'plate', 'wind_glass', 'back_mirror', 'wheel'},
    3: {'head_light', 'tail_light', 'back_mirror', 'wheel'},
    4: {'head_light', 'logo', 'plate', 'wind_glass', 'back_mirror', 'wheel'},
    5: {'tail_light', 'logo', 'plate', 'wind_glass', 'back_mirror', 'wheel'}}

DESIGNS = {  # part designs shown in a clean view: a face view's wheels are plain tyres
    1: {'head_light', 'logo', 'grille'}, 2: {'tail_light', 'logo'},
    3: {'head_light', 'tail_light', 'wheel'}, 4: {'head_light', 'logo', 'grille', 'wheel'},
    5: {'tail_light', 'logo', 'wheel'}}


def _scene(cfg, key, **changes):
    return dataclasses.replace(sample_scene(stream(0, 'test', key), cfg), **changes)


def _changed_mask(rendering, kinds, size):
    mask = np.zeros((size, size), bool)
    r = rendering.blur_radius
    for kind in kinds:
        for x1, y1, x2, y2 in rendering.regions.get(kind, []):
            mask[max(0, y1 - r):y2 + r, max(0, x1 - r):x2 + r] = True
    return mask


def test_year_variants_differ_only_inside_the_changed_parts():
    cfg = SynthCarsConfig(image_size=96)
    world = build_world(cfg, seed=5)
    changed_pixels = 0
    for i in range(40):
        m = world.models[i % len(world.models)]
        marks = sample_marks(stream(0, 'marks', i))
        scene = _scene(cfg, i)
        images = [render_vehicle(m.geometry, y.variants, marks, scene, cfg) for y in m.years]
        for a in range(len(m.years)):
            for b in range(a + 1, len(m.years)):
                va, vb = m.years[a].variants, m.years[b].variants
                kinds = [k for k in va if va[k] is not vb[k]]
                assert 1 <= len(kinds) <= cfg.max_parts_per_year * (b - a)
                diff = np.any(images[a].image != images[b].image, axis=2)
                allowed = _changed_mask(images[a], kinds, cfg.image_size)
                assert not (diff & ~allowed).any(), (i, a, b, kinds, scene.view)
                changed_pixels += int(diff.sum())
                # the boxes do not depend on the year
                assert images[a].parts == images[b].parts
                assert images[a].regions == images[b].regions
    assert changed_pixels > 1000  # the changes are visible


def test_a_hidden_change_leaves_the_image_identical():
    # Only tail lights change between years: a front view is the same image for every year,
    # and a rear view is not.
    cfg = SynthCarsConfig(image_size=96, year_parts=('tail_light',), min_parts_per_year=1,
                          max_parts_per_year=1)
    world = build_world(cfg, seed=1)
    for i, m in enumerate(world.models[:6]):
        assert all(y.changed == ('tail_light',) for y in m.years[1:])
        marks = sample_marks(stream(1, 'marks', i))
        front = _scene(cfg, i, view=1, occluder=None, shift=(0.0, 0.0), scale=0.8)
        a, b = (render_vehicle(m.geometry, y.variants, marks, front, cfg).image
                for y in m.years[:2])
        np.testing.assert_array_equal(a, b)
        rear = dataclasses.replace(front, view=2)
        a, b = (render_vehicle(m.geometry, y.variants, marks, rear, cfg).image
                for y in m.years[:2])
        assert (a != b).any()


def test_rendering_is_deterministic_and_nuisance_changes_pixels():
    cfg = SynthCarsConfig(image_size=64)
    m = build_world(cfg, seed=0).models[0]
    marks = sample_marks(stream(0, 'marks'))
    scene = _scene(cfg, 'det', noise_sigma=3.0)
    a = render_vehicle(m.geometry, m.years[0].variants, marks, scene, cfg)
    b = render_vehicle(m.geometry, m.years[0].variants, marks, scene, cfg)
    np.testing.assert_array_equal(a.image, b.image)
    assert a.image.shape == (64, 64, 3) and a.image.dtype == np.uint8
    c = render_vehicle(m.geometry, m.years[0].variants, marks,
                       dataclasses.replace(scene, noise_seed=scene.noise_seed + 1), cfg)
    assert (a.image != c.image).any()
    other_paint = dataclasses.replace(marks, color=(255 - marks.color[0], 0, 0))
    d = render_vehicle(m.geometry, m.years[0].variants, other_paint, scene, cfg)
    assert (a.image != d.image).any()


def test_part_boxes_are_inside_the_image_and_hidden_parts_absent():
    cfg = SynthCarsConfig(image_size=80)
    world = build_world(cfg, seed=2)
    seen_views = set()
    for i in range(150):
        m = world.models[i % len(world.models)]
        scene = _scene(cfg, f'boxes{i}')
        r = render_vehicle(m.geometry, m.years[0].variants, sample_marks(stream(2, 'm', i)),
                           scene, cfg)
        seen_views.add(scene.view)
        names = {PART_NAMES[label] for label, _ in r.parts}
        assert not names & HIDDEN[scene.view], (scene.view, names)
        for label, (x1, y1, x2, y2) in r.parts:
            assert 0 <= x1 < x2 <= cfg.image_size and 0 <= y1 < y2 <= cfg.image_size
            assert min(x2 - x1, y2 - y1) >= cfg.min_part_size
        x1, y1, x2, y2 = r.car_box
        assert 0 <= x1 < x2 <= cfg.image_size and 0 <= y1 < y2 <= cfg.image_size
    assert seen_views == {1, 2, 3, 4, 5}


@pytest.mark.parametrize('view', [1, 2, 3, 4, 5])
def test_clean_views_box_exactly_the_visible_parts(view):
    cfg = SynthCarsConfig(image_size=128)
    world = build_world(cfg, seed=3)
    for i, m in enumerate(world.models[:5]):
        scene = _scene(cfg, f'clean{i}', view=view, occluder=None, shift=(0.0, 0.0), scale=0.8)
        r = render_vehicle(m.geometry, m.years[0].variants, sample_marks(stream(3, 'm', i)),
                           scene, cfg)
        names = [PART_NAMES[label] for label, _ in r.parts]
        assert set(names) == CLEAN[view], (m.geometry.style, names)
        assert set(r.designs) == DESIGNS[view], (m.geometry.style, r.designs)
        assert names.count('wheel') == 2
        paired = 'head_light' if view in (1, 4) else 'tail_light' if view in (2, 5) else None
        if paired:
            assert names.count(paired) == 2 and names.count('back_mirror') == 2


def test_occluded_and_off_image_parts_are_dropped():
    cfg = SynthCarsConfig(image_size=96)
    m = build_world(cfg, seed=4).models[0]
    marks = sample_marks(stream(4, 'm'))
    base = _scene(cfg, 'occ', view=1, occluder=None, shift=(0.0, 0.0), scale=0.8)
    clean = render_vehicle(m.geometry, m.years[0].variants, marks, base, cfg)
    assert len(clean.parts) == 9
    # a wall over the whole vehicle hides every part
    wall = dataclasses.replace(base, occluder=('box', (-0.2, 1.4, 1.2), (90, 90, 90)))
    hidden = render_vehicle(m.geometry, m.years[0].variants, marks, wall, cfg)
    assert hidden.parts == [] and hidden.designs == ()
    # a wall over the lower half keeps only the upper parts
    low = dataclasses.replace(base, occluder=('box', (-0.2, 1.4, 0.45), (90, 90, 90)))
    kept = {PART_NAMES[label] for label, _ in
            render_vehicle(m.geometry, m.years[0].variants, marks, low, cfg).parts}
    assert 'wind_glass' in kept and 'wheel' not in kept and 'plate' not in kept
    # shifted half out of the image: boxes are clipped, mostly-outside parts dropped
    out = dataclasses.replace(base, shift=(0.45, 0.0))
    r = render_vehicle(m.geometry, m.years[0].variants, marks, out, cfg)
    assert 0 < len(r.parts) < len(clean.parts)
    assert any(x2 == cfg.image_size for _, (_, _, x2, _) in r.parts)
    assert r.car_box[2] == cfg.image_size
