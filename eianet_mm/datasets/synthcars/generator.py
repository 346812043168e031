"""Generate a SynthCars dataset on disk: plan every image, render in worker processes, write
the CompCars, VeRi-776, VehicleID and COCO layouts and ``synthcars_meta.json``.

Determinism: the plan is a pure function of ``(config, seed)``; workers only render and write
the files the plan names, and results are gathered in plan order, so the output does not depend
on the number of workers or their scheduling.
"""
import hashlib
import multiprocessing
import os
import os.path as osp
import shutil
import time
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple, Union

import cv2
from tqdm import tqdm

from .config import SynthCarsConfig
from .render import render_vehicle
from .scene import Scene, sample_scene
from .streams import stream
from .world import VehicleMarks, World, build_world, sample_marks
from .writers import (WrittenImage, compcars_label, write_compcars, write_meta, write_vehicleid,
                      write_veri)

#: What a generation writes at the top of its output folder.
OUTPUT_ENTRIES: Tuple[str, ...] = ('compcars', 'veri776', 'vehicleid', 'parts',
                                   'synthcars_meta.json')


@dataclass(frozen=True)
class ImageJob:
    """One image to render: what to draw and where to write it.

    Args:
        info (WrittenImage): The image's labels (``parts``, ``car_box`` and ``view`` are
            filled in after rendering).
        paths (tuple[str]): Files to write, relative to the output folder (a VeRi query is
            written twice: ``image_test`` and ``image_query``).
        label_path (str): CompCars label file to write beside the image, relative to the
            output folder; empty for the re-ID sets.
        marks (VehicleMarks): The vehicle's paint and marks.
        scene (Scene): The nuisance.
    """

    info: WrittenImage
    paths: Tuple[str, ...]
    label_path: str
    marks: VehicleMarks
    scene: Scene


@dataclass
class SynthCarsSummary:
    """What :func:`generate` did.

    Args:
        out_dir (str): The output folder.
        seed (int): The seed.
        images (int): Images rendered.
        files (int): Image files written (VeRi queries are written twice).
        seconds (float): Wall time of the whole generation.
        render_seconds (float): Wall time of rendering, encoding and writing the images.
        counts (dict): Counts per dataset (as in ``synthcars_meta.json``).
    """

    out_dir: str
    seed: int
    images: int
    files: int
    seconds: float
    render_seconds: float
    counts: Dict[str, object] = field(default_factory=dict)

    @property
    def images_per_second(self) -> float:
        """Images rendered, encoded and written per second of rendering time."""
        return self.images / max(self.render_seconds, 1e-9)


def _compcars_name(seed: int, model_id: int, year: int, k: int) -> str:
    return hashlib.sha1(f'synthcars/{seed}/{model_id}/{year}/{k}'.encode()).hexdigest()[:14]


def _blank(dataset: str, name: str, rel_path: str, model_index: int, year_index: int,
           vid: int = 0, cam_id: int = 0, split: str = 'train',
           is_query: bool = False) -> WrittenImage:
    return WrittenImage(dataset=dataset, name=name, rel_path=rel_path, model_index=model_index,
                        year_index=year_index, vid=vid, cam_id=cam_id, split=split,
                        is_query=is_query, view=0, parts=(), car_box=(0, 0, 0, 0), designs=())


def plan_images(world: World) -> List[ImageJob]:
    """List every image of the dataset, in a fixed order.

    Args:
        world (World): The world.

    Returns:
        list[ImageJob]: CompCars images (model, year, index order), then VeRi-776 (vehicle,
        camera, index), then VehicleID (vehicle, camera, index).
    """
    cfg, seed = world.cfg, world.seed
    jobs: List[ImageJob] = []
    for mi, m in enumerate(world.models):
        per_class = cfg.compcars_images_per_class(m.split)
        for yi, y in enumerate(m.years):
            for k in range(per_class):
                name = _compcars_name(seed, m.model_id, y.year, k) + '.jpg'
                rel = f'{m.make_id}/{m.model_id}/{y.year}/{name}'
                ident = ('compcars', m.model_id, yi * per_class + k)
                jobs.append(ImageJob(
                    info=_blank('compcars', name, rel, mi, yi, split=m.split),
                    paths=(f'compcars/data/image/{rel}',),
                    label_path=f'compcars/data/label/{rel[:-4]}.txt',
                    marks=sample_marks(stream(seed, 'vehicle', *ident)),
                    scene=sample_scene(stream(seed, 'scene', *ident), cfg)))
    cams = {c.cam_id: c for c in world.veri_cameras}
    for v in world.veri_vehicles:
        for cam in v.cameras:
            r = stream(seed, 'frames', 'veri', v.vid, cam)
            frame = int(r.integers(100, 90_000_000))
            for j in range(cfg.images_per_camera):
                frame += int(r.integers(5, 400))
                name = f'{v.vid:04d}_c{cam:03d}_{frame:08d}_0.jpg'
                is_query = v.split == 'test' and j == 0
                folder = 'image_train' if v.split == 'train' else 'image_test'
                paths = (f'veri776/{folder}/{name}',) + (
                    (f'veri776/image_query/{name}',) if is_query else ())
                jobs.append(ImageJob(
                    info=_blank('veri', name, name, v.model_index, v.year_index, v.vid, cam,
                                v.split, is_query),
                    paths=paths, label_path='', marks=v.marks,
                    scene=sample_scene(stream(seed, 'scene', 'veri', v.vid, cam, j), cfg,
                                       cams[cam])))
    per_id = cfg.cameras_per_instance * cfg.images_per_camera
    numbers = stream(seed, 'vehicleid_names').permutation(len(world.vehicleid_vehicles) * per_id)
    cams = {c.cam_id: c for c in world.vehicleid_cameras}
    for v in world.vehicleid_vehicles:
        for ci, cam in enumerate(v.cameras):
            for j in range(cfg.images_per_camera):
                number = int(numbers[(v.vid - 1) * per_id + ci * cfg.images_per_camera + j]) + 1
                name = f'{number:07d}.jpg'
                jobs.append(ImageJob(
                    info=_blank('vehicleid', name, name, v.model_index, v.year_index, v.vid, 0,
                                v.split),
                    paths=(f'vehicleid/image/{name}',), label_path='', marks=v.marks,
                    scene=sample_scene(stream(seed, 'scene', 'vehicleid', v.vid, cam, j), cfg,
                                       cams[cam])))
    return jobs


_STATE: Dict[str, object] = {}


def _init_worker(world: World, jobs: List[ImageJob], out_dir: str) -> None:
    # 0 = no OpenCV threads. Not 1: in a child forked while the parent's OpenCV pool has
    # idle threads, resizing the pool waits on threads the child does not have (deadlock).
    cv2.setNumThreads(0)
    _STATE.update(world=world, jobs=jobs, out_dir=out_dir)


def _render_range(span: Tuple[int, int]) -> List[Tuple[tuple, Tuple[int, int, int, int],
                                                       Tuple[str, ...]]]:
    """Render, encode and write the jobs ``span[0]:span[1]``; return their boxes and visible
    designs."""
    world: World = _STATE['world']  # type: ignore[assignment]
    jobs: List[ImageJob] = _STATE['jobs']  # type: ignore[assignment]
    out_dir: str = _STATE['out_dir']  # type: ignore[assignment]
    params = [cv2.IMWRITE_JPEG_QUALITY, world.cfg.jpeg_quality]
    out = []
    for job in jobs[span[0]:span[1]]:
        model = world.models[job.info.model_index]
        r = render_vehicle(model.geometry, model.years[job.info.year_index].variants, job.marks,
                           job.scene, world.cfg)
        ok, buf = cv2.imencode('.jpg', r.image, params)
        if not ok:
            raise RuntimeError(f'OpenCV could not encode {job.paths[0]} as JPEG')
        data = buf.tobytes()
        for rel in job.paths:
            with open(osp.join(out_dir, rel), 'wb') as f:
                f.write(data)
        if job.label_path:
            with open(osp.join(out_dir, job.label_path), 'w', encoding='utf-8',
                      newline='\n') as f:
                f.write(compcars_label(job.scene.view, r.car_box))
        out.append((tuple(r.parts), r.car_box, r.designs))
    return out


def _prepare_out_dir(out_dir: str, overwrite: bool) -> None:
    existing = [e for e in OUTPUT_ENTRIES if osp.lexists(osp.join(out_dir, e))]
    if existing and not overwrite:
        raise FileExistsError(f'{out_dir} already holds a SynthCars dataset ({existing}); pass '
                              'overwrite=True (--overwrite) to replace it')
    for e in existing:
        path = osp.join(out_dir, e)
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)
    os.makedirs(out_dir, exist_ok=True)


def generate(out_dir: Union[str, os.PathLike], cfg: Optional[SynthCarsConfig] = None,
             seed: int = 0, num_workers: int = 1, progress: bool = False,
             overwrite: bool = False) -> SynthCarsSummary:
    """Generate a SynthCars dataset.

    Args:
        out_dir (str | os.PathLike): The output folder (layout in docs/interfaces.md).
        cfg (SynthCarsConfig, optional): Sizes; None uses the ``demo`` defaults.
            Defaults to None.
        seed (int): The seed; the same seed gives byte-identical files. Defaults to 0.
        num_workers (int): Render processes (1 renders in this process). The output does not
            depend on it. Defaults to 1.
        progress (bool): Show a progress bar. Defaults to False.
        overwrite (bool): Replace an existing dataset in ``out_dir`` (only the entries a
            generation writes are removed). Defaults to False.

    Returns:
        SynthCarsSummary: Counts and timings.
    """
    start = time.perf_counter()
    cfg = SynthCarsConfig() if cfg is None else cfg
    if not isinstance(num_workers, int) or num_workers < 1:
        raise ValueError(f'num_workers must be a positive integer, got {num_workers!r}')
    out_dir = osp.abspath(os.fspath(out_dir))
    world = build_world(cfg, seed)
    _prepare_out_dir(out_dir, overwrite)
    jobs = plan_images(world)
    for d in sorted({osp.dirname(p) for job in jobs for p in job.paths + (job.label_path, )
                     if p}):
        os.makedirs(osp.join(out_dir, d), exist_ok=True)
    render_start = time.perf_counter()
    bar = tqdm(total=len(jobs), unit='img', desc='SynthCars', disable=not progress)
    chunk = max(1, min(32, len(jobs) // (num_workers * 8)))
    spans = [(k, min(k + chunk, len(jobs))) for k in range(0, len(jobs), chunk)]
    results: List[Tuple[tuple, Tuple[int, int, int, int], Tuple[str, ...]]] = []
    if num_workers == 1:
        threads = cv2.getNumThreads()
        try:
            _init_worker(world, jobs, out_dir)
            for span in spans:
                results += _render_range(span)
                bar.update(span[1] - span[0])
        finally:
            cv2.setNumThreads(threads)
            _STATE.clear()
    else:
        # fork shares the plan with the workers (only index ranges travel); spawn pickles it
        # once per worker
        method = 'fork' if 'fork' in multiprocessing.get_all_start_methods() else 'spawn'
        with multiprocessing.get_context(method).Pool(
                num_workers, initializer=_init_worker, initargs=(world, jobs, out_dir)) as pool:
            for span, res in zip(spans, pool.imap(_render_range, spans)):
                results += res
                bar.update(span[1] - span[0])
    bar.close()
    render_seconds = time.perf_counter() - render_start
    written = {'compcars': [], 'veri': [], 'vehicleid': []}
    for job, (parts, car_box, designs) in zip(jobs, results):
        written[job.info.dataset].append(
            replace(job.info, view=job.scene.view, parts=parts, car_box=car_box,
                    designs=designs))
    counts: Dict[str, object] = dict(
        compcars=write_compcars(out_dir, world, written['compcars'], cfg.pairs_per_file),
        veri776=write_veri(out_dir, world, written['veri']),
        vehicleid=write_vehicleid(out_dir, world, written['vehicleid']))
    write_meta(out_dir, world, counts)
    return SynthCarsSummary(
        out_dir=out_dir, seed=seed, images=len(jobs),
        files=sum(len(job.paths) for job in jobs), seconds=time.perf_counter() - start,
        render_seconds=render_seconds, counts=counts)
