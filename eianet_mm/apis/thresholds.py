"""Where a checkpoint's verification threshold is found.

:func:`verify` decides "same" when ``distance <= threshold``. The threshold comes from, in
this order:

1. the ``threshold`` argument (``tools/verify.py --threshold``);
2. the checkpoint's ``meta['verification_thresholds']``: ``{'model': float, 'year': float,
   'metric': 'euclidean' | 'cosine'}``, *distance* thresholds (write them with
   :func:`thresholds_to_meta`);
3. a ``results.json`` in the checkpoint's folder, else in its parent folder, that holds the
   results of this checkpoint, in either of two forms:

   - ``tools/test.py``'s (written in the work dir, which is also where training puts the
     checkpoints): ``{'checkpoint': path, 'metrics': {'verification/<level>_<split>/
     threshold': t, ...}}``;
   - the demo's (``tools/demo.py``, one folder above each run's checkpoints):
     ``{'methods': {key: {'checkpoint': path, 'verification': {'<level>_<split>':
     {'threshold': t, ...}}}}}``, used only when exactly one method names the checkpoint
     (the classical baselines share one network and score pairs otherwise); from
     ``verification_by_distance`` instead when the method was scored by part pair scorers.

   A ``tools/test.py`` results file of lists scored by part pair scorers (the config's
   ``pair_scorer``; the record says ``pair_scorer``) holds thresholds on the scorers'
   log-odds, not on a distance: it is not used (with a warning).

   ``t`` is the accuracy-maximising threshold on the *score* ``-distance`` fitted on all
   pairs of that list; the distance threshold is ``-t``. The split is ``medium`` (any
   viewpoint) when present, else ``easy``, else ``hard``. A results file names "this
   checkpoint" when the paths resolve to the same file, or, for a relative path that does
   not resolve from here, when the file name and its folder's name match.
"""
import json
import math
import os
import os.path as osp
import warnings
from typing import Dict, Mapping, Optional

LEVELS = ('model', 'year')
SPLIT_PREFERENCE = ('medium', 'easy', 'hard')
META_KEY = 'verification_thresholds'
RESULTS_FILE = 'results.json'


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f'level must be one of {LEVELS}, got {level!r}')
    return level


def thresholds_from_metrics(metrics: Mapping[str, float]) -> Dict[str, dict]:
    """Distance thresholds per level from a flat metric dict (``Runner.test()`` output).

    Args:
        metrics (Mapping[str, float]): Keys such as
            ``'verification/model_medium/threshold'`` (score thresholds, score =
            ``-distance``).

    Returns:
        dict: ``{level: {'threshold': float, 'pair_list': str}}`` for each level found;
        the distance threshold is the negated score threshold.
    """
    found: Dict[str, Dict[str, float]] = {}
    for key, value in metrics.items():
        parts = key.split('/')
        if len(parts) < 2 or parts[-1] != 'threshold':
            continue
        level, _, split = parts[-2].partition('_')
        if level in LEVELS and split:
            found.setdefault(level, {})[split] = float(value)
    out = {}
    for level, splits in found.items():
        split = next((s for s in SPLIT_PREFERENCE if s in splits), sorted(splits)[0])
        threshold = -splits[split]
        if math.isfinite(threshold):
            out[level] = dict(threshold=threshold, pair_list=f'{level}_{split}')
    return out


def thresholds_to_meta(metrics: Mapping[str, float], metric: str = 'euclidean') -> dict:
    """The ``meta['verification_thresholds']`` entry for a checkpoint.

    Args:
        metrics (Mapping[str, float]): Flat metric dict as in :func:`thresholds_from_metrics`.
        metric (str): The distance the thresholds were fitted with. Defaults to 'euclidean'.

    Returns:
        dict: ``{'metric': metric, 'model': float, 'year': float}`` (levels found only).
    """
    entry = {'metric': metric}
    for level, found in thresholds_from_metrics(metrics).items():
        entry[level] = found['threshold']
    return entry


def names_checkpoint(named: str, checkpoint: str) -> bool:
    """Whether the path ``named`` (as a results file records it) is ``checkpoint``."""
    if osp.isfile(named):
        return osp.realpath(named) == osp.realpath(checkpoint)
    named_parts = osp.normpath(named).split(os.sep)[-2:]
    own_parts = osp.normpath(osp.abspath(checkpoint)).split(os.sep)[-len(named_parts):]
    return named_parts == own_parts


def _results_metrics(record: Mapping, checkpoint: str, path: str) -> Optional[dict]:
    """The flat metrics a results file holds for ``checkpoint`` (None: none for it)."""
    if 'metrics' in record:
        named = record.get('checkpoint')
        if named and not names_checkpoint(str(named), checkpoint):
            warnings.warn(f'{path} holds the results of {named}, not of {checkpoint}; its '
                          'thresholds are not used')
            return None
        if record.get('pair_scorer') is not None:
            warnings.warn(f'{path}: its lists were scored by part pair scorers, so its '
                          'thresholds are on their log-odds, not on a distance, and are not '
                          'used (tools/test.py --cfg-options pair_scorer=None gives distance '
                          'thresholds)')
            return None
        return dict(record['metrics'])
    matching = [m for m in record['methods'].values()
                if names_checkpoint(str(m.get('checkpoint', '')), checkpoint)]
    if len(matching) > 1:
        warnings.warn(f'{path}: {len(matching)} methods name {checkpoint}; its thresholds are '
                      'not used')
    if len(matching) != 1:
        return None
    method = matching[0]
    by_distance = method.get('verification_by_distance', method.get('verification', {}))
    return {f'{name}/{key}': value
            for name, values in by_distance.items()
            for key, value in values.items()}


def find_thresholds(checkpoint: Optional[str],
                    meta: Optional[Mapping] = None) -> Dict[str, dict]:
    """Look up the stored thresholds of a checkpoint (sources 2 and 3 of the module doc).

    Args:
        checkpoint (str, optional): The checkpoint file. Defaults to None (none).
        meta (Mapping, optional): The checkpoint's ``meta``. Defaults to None.

    Returns:
        dict: ``{level: {'threshold': float, 'metric': str or None, 'source': str}}``;
        ``metric`` is None when the source does not say (the config's evaluator decides).
    """
    stored = (meta or {}).get(META_KEY)
    if isinstance(stored, Mapping):
        return {
            level: dict(threshold=float(stored[level]), metric=stored.get('metric'),
                        source=f'checkpoint meta {META_KEY!r}')
            for level in LEVELS if level in stored
        }
    if checkpoint is None:
        return {}
    folder = osp.dirname(osp.abspath(checkpoint))
    for path in (osp.join(folder, RESULTS_FILE), osp.join(osp.dirname(folder), RESULTS_FILE)):
        if not osp.isfile(path):
            continue
        try:
            with open(path, encoding='utf-8') as f:
                record = json.load(f)
            if 'metrics' not in record and 'methods' not in record:
                raise KeyError("neither 'metrics' nor 'methods'")
            metrics = _results_metrics(record, checkpoint, path)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            warnings.warn(f'{path} is not a results file of tools/test.py or tools/demo.py '
                          f'({type(err).__name__}: {err}); its thresholds are not used')
            continue
        if metrics is None:
            continue
        found = thresholds_from_metrics(metrics)
        if found:
            return {
                level: dict(threshold=entry['threshold'], metric=None,
                            source=f"{path} ({entry['pair_list']})")
                for level, entry in found.items()
            }
    return {}


def resolve_threshold(level: str,
                      threshold: Optional[float],
                      stored: Mapping[str, dict]) -> Optional[dict]:
    """The threshold to use for ``level``: the argument, else the stored one, else None.

    Returns:
        dict, optional: ``{'threshold', 'metric', 'source'}``, None when there is none.
    """
    _check_level(level)
    if threshold is not None:
        return dict(threshold=float(threshold), metric=None, source='argument')
    return stored.get(level)
