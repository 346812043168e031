"""Where a trained network's verification scores come from: each branch of its embedding on
the test pair lists, and the same two levels measured on training images, which tells a
network that has not learned a level apart from one that learned it and does not generalise
(docs/synthcars_learning.md)."""
from typing import Dict, List

import numpy as np
import torch
from mmengine.config import Config
from sklearn.metrics import roc_auc_score

from mmdet.registry import DATASETS

from ..apis.inference import checked_distance_metric
from ..evaluation.functional import pairwise_distance
from ..evaluation.functional.distance import codetected_layout
from .main_job import negative_distance, pair_list_metrics
from .report import DIFFICULTIES
from .runs import build_trained_model, collect_features, test_dataloader_of, train_set_loader


def branch_metric(branch: str, metric: str) -> str:
    """The distance a branch is scored with: the config's for the whole embedding and for
    the R-MAC branch, squared Euclidean for the global branch (and for the R-MAC branch when
    the config's distance is not ``'codetected'``)."""
    if branch == 'embedding' or (branch == 'rmac' and codetected_layout(metric) is not None):
        return metric
    return 'euclidean'


def branch_slices(model: torch.nn.Module) -> Dict[str, slice]:
    """Columns of the embedding: ``embedding`` (all), and ``rmac`` / ``global`` when the
    network has both branches (R-MAC first, as :class:`EIANet` concatenates them)."""
    rmac = model.num_parts * model.part_dims
    out = {'embedding': slice(0, model.embed_dims)}
    if 0 < rmac < model.embed_dims:
        out.update(rmac=slice(0, rmac), global_=slice(rmac, model.embed_dims))
    return out


def within_set_aucs(feats: np.ndarray, labels: np.ndarray, coarse_labels: np.ndarray,
                    metric: str = 'euclidean') -> Dict[str, float]:
    """ROC AUC of minus the distance over all pairs of a set of images.

    Args:
        feats (np.ndarray): ``[N, D]`` embeddings.
        labels (np.ndarray): ``[N]`` class (model-year) of each image.
        coarse_labels (np.ndarray): ``[N]`` vehicle model of each image.
        metric (str): The distance (see
            :func:`~eianet_mm.evaluation.functional.pairwise_distance`). Defaults to
            'euclidean' (squared).

    Returns:
        dict: ``model`` (positive = same model, over all pairs) and ``year`` (over the pairs
        of one model; positive = same year).
    """
    x = torch.as_tensor(feats, dtype=torch.float64)
    dist = pairwise_distance(x, x, metric).numpy()
    first, second = np.triu_indices(len(feats), 1)
    scores = -dist[first, second]
    same_model = coarse_labels[first] == coarse_labels[second]
    same_year = labels[first] == labels[second]
    for name, y in (('model', same_model), ('year', same_year[same_model])):
        if y.all() or not y.any():
            raise ValueError(f'within_set_aucs: the images give no {name}-level pair of both '
                             'kinds (same and different); use more images')
    return dict(model=float(roc_auc_score(same_model, scores)),
                year=float(roc_auc_score(same_year[same_model], scores[same_model])))


def learning_check(cfg: Config, checkpoint: str, train_every: int = 8) -> Dict[str, dict]:
    """Verification metrics of each embedding branch on the test pair lists, and the
    model- / year-level AUC on every ``train_every``-th training image, each branch scored
    with :func:`branch_metric` of the config's test distance.

    Args:
        cfg (Config): A verification config (stage 2), its data paths as trained.
        checkpoint (str): The trained network.
        train_every (int): Subsampling of the training images (all pairs of them are
            scored). Defaults to 8.

    Returns:
        dict: ``branch -> {'test': {pair list -> metrics}, 'train': {'model', 'year'}}``.
    """
    if train_every < 1:
        raise ValueError(f'learning_check: train_every must be >= 1, got {train_every}')
    model = build_trained_model(cfg, checkpoint)
    test_feats, test_samples, metainfo = collect_features(model, test_dataloader_of(cfg))
    loader = train_set_loader(cfg)
    dataset = DATASETS.build(loader['dataset'])
    loader['dataset'] = dataset.get_subset(list(range(0, len(dataset), train_every)))
    train_feats, train_samples, _ = collect_features(model, loader)
    labels = np.array([s['id_label'] for s in train_samples])
    coarse = np.array([s['coarse_label'] for s in train_samples])
    config_metric = checked_distance_metric(cfg, model)
    out: Dict[str, dict] = {}
    for branch, cols in branch_slices(model).items():
        name = branch.rstrip('_')
        metric = branch_metric(name, config_metric)
        score = negative_distance(metric)
        test, _ = pair_list_metrics(test_feats[:, cols], test_samples, metainfo['pairs'],
                                    dict(model=score, year=score))
        out[name] = dict(
            test=test, train=within_set_aucs(train_feats[:, cols], labels, coarse, metric))
    return out


def format_learning_check(results: Dict[str, dict]) -> List[str]:
    """Table lines: one row per branch, test accuracy / AUC per pair list, then train AUCs."""
    present = next(iter(results.values()))['test']
    usual = [f'{level}_{d}' for level in ('model', 'year') for d in DIFFICULTIES]
    names = [n for n in usual if n in present] + sorted(set(present) - set(usual))
    head = ['branch'] + names + ['train model AUC', 'train year AUC']
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for branch, r in results.items():
        cells = [f"{r['test'][n]['accuracy']:.3f} / {r['test'][n]['auc']:.3f}" for n in names]
        cells += [f"{r['train']['model']:.3f}", f"{r['train']['year']:.3f}"]
        lines.append('| ' + ' | '.join([branch] + cells) + ' |')
    return lines
