"""Single-image inference: build a model, extract embeddings, verify a pair.

Images are file paths or ``uint8`` BGR arrays ``[H, W, 3]`` (as ``cv2.imread`` returns
them). Both go through the config's test pipeline (``test_dataloader.dataset.pipeline``):
a path is loaded by the pipeline's own loading transform (``LoadVehicleImage`` names a
missing or unreadable file), an array replaces that transform by mmdet's
``LoadImageFromNDArray``; ``LoadAnnotations`` steps are dropped (no ground truth at
inference).
"""
import copy
import os.path as osp
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from tqdm import tqdm

from mmdet.registry import MODELS
from mmdet.utils import get_test_pipeline_cfg
from ..datasets.vehicle_parts import SYNTHCARS_PART_CLASSES
from ..evaluation.functional.distance import (check_metric, check_metric_layout,
                                              paired_distance)
from ..utils.config import read_config
from .thresholds import LEVELS, find_thresholds, resolve_threshold

ImageInput = Union[str, Path, np.ndarray]
PART_KEYS = ('bboxes', 'scores', 'labels', 'detected')


def load_config(config: Union[str, Path, Config], cfg_options: Optional[dict] = None) -> Config:
    """A config from a file (or a copy of a ``Config``), with ``cfg_options`` merged in."""
    if isinstance(config, (str, Path)):
        cfg = read_config(str(config))
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file name or a Config, got {type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def init_model(config: Union[str, Path, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> torch.nn.Module:
    """Build a model from its config and load a checkpoint, ready for inference.

    The returned model carries ``cfg`` (the config), ``dataset_meta`` (from the
    checkpoint's meta, or None) and ``verification_thresholds`` (the stored thresholds, see
    :mod:`eianet_mm.apis.thresholds`; ``{}`` when there are none). ``init_weights`` is not
    called, so no pretrained (e.g. ImageNet) weights are loaded or downloaded.

    Args:
        config (str | Path | Config): Config file or object.
        checkpoint (str, optional): Checkpoint file, loaded with mmengine's
            ``load_checkpoint`` (strict: every weight must match). Defaults to None (the
            weights stay as built; only for tests and export checks).
        device (str): Device to put the model on. Defaults to 'cpu'.
        cfg_options (dict, optional): Config overrides, e.g.
            ``{'model.test_cfg.flip': False}``. Defaults to None.

    Returns:
        torch.nn.Module: The model in eval mode.

    Raises:
        FileNotFoundError: The config or the checkpoint does not exist.
        ValueError: The config cannot be read or names an unknown module type.
        RuntimeError: The checkpoint is corrupt, not trusted, or does not fit the model.
    """
    cfg = load_config(config, cfg_options)
    name = config if isinstance(config, (str, Path)) else 'the config'
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    try:
        model = MODELS.build(cfg.model)
    except KeyError as err:  # an unknown type: the registry's message names it
        raise ValueError(f'{name}: cannot build the model: {err.args[0]}') from err
    meta: dict = {}
    if checkpoint is not None:
        try:
            loaded = load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                                     logger='silent')
        except RuntimeError as err:
            if 'do not match exactly' not in str(err):
                raise
            raise RuntimeError(f'checkpoint {checkpoint} does not fit the model of {name}: '
                               f'{_mismatch_summary(str(err))}') from err
        meta = loaded.get('meta', {}) if isinstance(loaded, dict) else {}
    model.cfg = cfg
    model.dataset_meta = meta.get('dataset_meta')
    model.verification_thresholds = find_thresholds(checkpoint, meta)
    model.to(device)
    model.eval()
    return model


def _mismatch_summary(message: str, shown: int = 3) -> str:
    """mmengine's strict-loading message in one line: each kind of mismatch with its count
    and the first ``shown`` names."""
    kinds = {'size mismatch': [], 'unexpected key in source state_dict': [],
             'missing keys in source state_dict': []}
    for line in message.splitlines():
        if line.startswith('size mismatch for '):
            kinds['size mismatch'].append(line[len('size mismatch for '):].split(':', 1)[0])
        elif ' in source state_dict: ' in line:
            kind, keys = line.split(': ', 1)
            kinds[kind] += keys.split(', ')
    labels = {'size mismatch': 'weights of another shape',
              'unexpected key in source state_dict': 'weights the model does not have',
              'missing keys in source state_dict': 'model weights it lacks'}
    parts = []
    for kind, keys in kinds.items():
        if keys:
            more = ', ...' if len(keys) > shown else ''
            parts.append(f'{len(keys)} {labels[kind]} ({", ".join(keys[:shown])}{more})')
    return '; '.join(parts)


def _transform_type(step: dict) -> str:
    name = step.get('type', '')
    return name.split('.')[-1] if isinstance(name, str) else getattr(name, '__name__', '')


def build_test_pipeline(cfg: Config, from_array: bool = False) -> Compose:
    """The config's test pipeline, ready for a path (or, with ``from_array``, an array).

    Args:
        cfg (Config): The model's config.
        from_array (bool): Replace the first (loading) transform by mmdet's
            ``LoadImageFromNDArray``. Defaults to False.

    Returns:
        Compose: The pipeline.
    """
    try:
        steps = copy.deepcopy(get_test_pipeline_cfg(cfg))
    except (AttributeError, KeyError, RuntimeError) as err:
        raise ValueError('the config has no test pipeline (test_dataloader.dataset.pipeline)'
                         f': {err}') from None
    steps = [s for s in steps if not _transform_type(s).endswith('LoadAnnotations')]
    if not steps or not _transform_type(steps[0]).startswith('Load'):
        raise ValueError('the test pipeline must start with an image loading transform, got '
                         f'{steps[0] if steps else "an empty pipeline"}')
    if from_array:
        steps[0] = dict(type='mmdet.LoadImageFromNDArray')
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    return Compose(steps)


def _check_array(image: np.ndarray, index: int) -> np.ndarray:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or min(
            image.shape[:2]) == 0:
        raise ValueError(f'image {index}: an array image must be uint8 BGR [H, W, 3], got '
                         f'dtype {image.dtype} and shape {image.shape}')
    return image


def _describe(image: ImageInput, index: int) -> str:
    return str(image) if isinstance(image, (str, Path)) else f'array image {index}'


def build_pipelines(cfg: Optional[Config]) -> Dict[bool, Compose]:
    """The test pipeline for paths (key False) and for arrays (key True)."""
    if not isinstance(cfg, Config):
        raise ValueError('the model carries no config (model.cfg): build it with '
                         'eianet_mm.apis.init_model')
    return {flag: build_test_pipeline(cfg, from_array=flag) for flag in (False, True)}


def run_pipeline(pipelines: Dict[bool, Compose], image: ImageInput, index: int) -> dict:
    """Run one image through the test pipeline; errors name the image.

    Args:
        pipelines (dict): :func:`build_pipelines` output.
        image (str | Path | np.ndarray): The image.
        index (int): Its position in the input, for messages about arrays.

    Returns:
        dict: The pipeline's output (``inputs`` and ``data_samples``).
    """
    if isinstance(image, np.ndarray):
        results = dict(img=_check_array(image, index), img_id=f'array{index}')
        pipeline = pipelines[True]
    elif isinstance(image, (str, Path)):
        path = str(image)
        if not osp.isfile(path):
            raise FileNotFoundError(f'image not found: {path}')
        results = dict(img_path=path, img_id=path)
        pipeline = pipelines[False]
    else:
        raise TypeError(f'image {index}: expected a path or a numpy array, got '
                        f'{type(image).__name__}')
    try:
        out = pipeline(results)
    except Exception as err:
        name = _describe(image, index)
        if name in str(err):
            raise
        raise RuntimeError(f'{name}: {type(err).__name__}: {err}') from err
    if out is None:
        raise ValueError(f'{_describe(image, index)}: the test pipeline dropped the image')
    return out


def extract(model: torch.nn.Module,
            images: Union[ImageInput, Sequence[ImageInput]],
            batch_size: int = 8,
            return_parts: bool = False,
            progress: Optional[bool] = None) -> Union[np.ndarray, Tuple[np.ndarray, dict]]:
    """Embeddings (CR-MAC) of images, in batches, through the config's test pipeline.

    Args:
        model (torch.nn.Module): A model from :func:`init_model`.
        images (str | np.ndarray | Sequence): One image or several (paths or ``uint8`` BGR
            arrays).
        batch_size (int): Images per forward pass. Defaults to 8.
        return_parts (bool): Also return the detected parts. Defaults to False.
        progress (bool, optional): Show a progress bar on stderr. Defaults to None (shown
            when there is more than one batch).

    Returns:
        np.ndarray | tuple: ``float32`` embeddings ``[N, D]``; with ``return_parts``, also a
        dict of ``bboxes [N, P, 4]`` (original image pixels, zeros for a missed part),
        ``scores [N, P]``, ``labels [N, P]``, ``detected [N, P]`` (bool) and
        ``part_features [N, P, K]`` (the R-MAC descriptors, zeros for a missed part).
    """
    if isinstance(images, (str, Path, np.ndarray)):
        images = [images]
    images = list(images)
    if not images:
        raise ValueError('no images given')
    if batch_size < 1:
        raise ValueError(f'batch_size must be positive, got {batch_size}')
    for image in images:  # fail before any work on a missing file
        if isinstance(image, (str, Path)) and not osp.isfile(str(image)):
            raise FileNotFoundError(f'image not found: {image}')
    pipelines = build_pipelines(getattr(model, 'cfg', None))
    show = len(images) > batch_size if progress is None else progress
    feats: List[np.ndarray] = []
    parts: Dict[str, List[np.ndarray]] = {k: [] for k in PART_KEYS + ('part_features', )}
    with tqdm(total=len(images), unit='img', disable=not show, file=sys.stderr,
              desc='extract') as bar, torch.no_grad():
        for start in range(0, len(images), batch_size):
            chunk = images[start:start + batch_size]
            data = pseudo_collate(
                [run_pipeline(pipelines, im, start + i) for i, im in enumerate(chunk)])
            for sample in model.test_step(data):
                feats.append(sample.pred_feature.detach().float().cpu().numpy())
                if return_parts:
                    inst = sample.pred_instances
                    for key in PART_KEYS:
                        parts[key].append(inst.get(key).detach().cpu().numpy())
                    parts['part_features'].append(
                        sample.part_features.detach().float().cpu().numpy())
            bar.update(len(chunk))
    embeddings = np.stack(feats).astype(np.float32)
    if not return_parts:
        return embeddings
    stacked = {k: np.stack(v) for k, v in parts.items()}
    stacked['bboxes'] = stacked['bboxes'].astype(np.float32)
    stacked['scores'] = stacked['scores'].astype(np.float32)
    stacked['detected'] = stacked['detected'].astype(bool)
    return embeddings, stacked


def part_names_of(model: torch.nn.Module) -> List[str]:
    """The names of the model's part classes, in part order.

    Taken from ``dataset_meta['part_classes']`` (checkpoint meta), else the config's
    top-level ``part_classes``, else, when the model has as many parts, the SynthCars part
    classes of docs/interfaces.md (the project's default part set), else ``part<i>``.

    Args:
        model (torch.nn.Module): A model from :func:`init_model`.

    Returns:
        list[str]: One name per part class of the part RPN (empty without one).
    """
    rpn_head = getattr(model, 'rpn_head', None)
    num = 0 if rpn_head is None else int(rpn_head.num_classes)
    for names in ((getattr(model, 'dataset_meta', None) or {}).get('part_classes'),
                  model.cfg.get('part_classes', None)):
        if names is not None and len(names) == num:
            return [str(n) for n in names]
    if num == len(SYNTHCARS_PART_CLASSES):
        return list(SYNTHCARS_PART_CLASSES)
    return [f'part{i}' for i in range(num)]


def config_distance_metric(cfg: Config) -> str:
    """The distance a config's test ``VerificationMetric`` uses (``'euclidean'`` when none)."""
    evaluators = cfg.get('test_evaluator', None)
    if evaluators is None:
        return 'euclidean'
    if not isinstance(evaluators, (list, tuple)):
        evaluators = [evaluators]
    for evaluator in evaluators:
        if str(evaluator.get('type', '')).split('.')[-1] == 'VerificationMetric':
            return check_metric(evaluator.get('metric', 'euclidean'))
    return 'euclidean'


def checked_distance_metric(cfg: Config, model: torch.nn.Module,
                            source: str = 'test_evaluator') -> str:
    """:func:`config_distance_metric` of ``cfg``, checked against ``model``'s R-MAC layout
    (a ``'codetected:NxK'`` metric must name it; errors name ``source``)."""
    return check_metric_layout(config_distance_metric(cfg), getattr(model, 'num_parts', 0),
                               getattr(model, 'part_dims', 0), source)


def model_distance_metric(model: torch.nn.Module) -> str:
    """:func:`checked_distance_metric` of the model's own config (``model.cfg``)."""
    return checked_distance_metric(model.cfg, model)


@dataclass
class VerificationResult:
    """What :func:`verify` finds about a pair of images.

    Attributes:
        distance (float): The embedding distance (``metric``).
        same (bool, optional): ``distance <= threshold``; None without a threshold.
        threshold (float, optional): The distance threshold used.
        threshold_source (str, optional): Where the threshold came from.
        metric (str): ``'euclidean'`` (squared) or ``'cosine'``.
        level (str): ``'model'`` or ``'year'``.
        parts (tuple[dict, dict]): Each image's parts: ``bboxes [P, 4]`` (its pixels),
            ``scores``, ``labels``, ``detected``, ``part_features [P, K]``.
    """

    distance: float
    same: Optional[bool]
    threshold: Optional[float]
    threshold_source: Optional[str]
    metric: str
    level: str
    parts: Tuple[dict, dict]


def verify(model: torch.nn.Module,
           img1: ImageInput,
           img2: ImageInput,
           threshold: Optional[float] = None,
           level: str = 'model') -> VerificationResult:
    """Are two images the same vehicle model (``level='model'``) or model-year (``'year'``)?

    The distance is the config evaluator's metric, unless the stored threshold names its
    own. "Same" means ``distance <= threshold``.

    Args:
        model (torch.nn.Module): A model from :func:`init_model`.
        img1 (str | np.ndarray): First image.
        img2 (str | np.ndarray): Second image.
        threshold (float, optional): Distance threshold. Defaults to None (the threshold
            stored with the checkpoint for ``level``; no decision when there is none).
        level (str): ``'model'`` or ``'year'``. Defaults to 'model'.

    Returns:
        VerificationResult: Distance, decision and the parts of each image.
    """
    if level not in LEVELS:
        raise ValueError(f'level must be one of {LEVELS}, got {level!r}')
    found = resolve_threshold(level, threshold,
                              getattr(model, 'verification_thresholds', None) or {})
    metric = model_distance_metric(model)
    if found is not None and found['metric'] is not None:
        metric = check_metric(found['metric'])
    embeddings, parts = extract(model, [img1, img2], batch_size=2, return_parts=True,
                                progress=False)
    distance = float(paired_distance(embeddings[:1], embeddings[1:], metric)[0])
    same = None if found is None else bool(distance <= found['threshold'])
    return VerificationResult(
        distance=distance,
        same=same,
        threshold=None if found is None else found['threshold'],
        threshold_source=None if found is None else found['source'],
        metric=metric,
        level=level,
        parts=tuple({k: v[i] for k, v in parts.items()} for i in range(2)))
