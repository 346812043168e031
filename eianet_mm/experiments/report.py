"""The main job's pictures (ROC curves, ranking lists, part boxes) and its report.md."""
from typing import Dict, List, Mapping, Optional, Sequence

import cv2
import numpy as np

from ..evaluation.functional import paired_fold_difference, pairwise_distance
from ..visualization import draw_parts, draw_parts_grid, draw_ranking_list, vstack, write_png

LEVELS = ('model', 'year')
DIFFICULTIES = ('easy', 'medium', 'hard')
#: How a method's ``part_detector`` (results.json) found its part boxes, for the report.
PART_DETECTOR_TEXT = {
    'copy': 'by the frozen stage-1 part detector (`test_cfg.part_detector=\'copy\'`, a '
            'second backbone pass), as in training.',
    'shared': 'by the part RPN on the backbone the embedding reads (one backbone pass).',
}


def plot_roc_curves(path: str, curves: Mapping[str, Mapping[str, dict]],
                    titles: Mapping[str, str]) -> str:
    """One panel per pair list (rows: model / year level; columns: easy / medium / hard),
    one curve per method, false-positive rate on a log axis."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(LEVELS), len(DIFFICULTIES), figsize=(13, 8.5), squeeze=False)
    for r, level in enumerate(LEVELS):
        for c, difficulty in enumerate(DIFFICULTIES):
            ax = axes[r][c]
            name = f'{level}_{difficulty}'
            for key, method_curves in curves.items():
                if name in method_curves:
                    fpr = np.maximum(method_curves[name]['fpr'], 1e-4)
                    ax.plot(fpr, method_curves[name]['tpr'], label=titles.get(key, key))
            ax.set_xscale('log')
            ax.set_xlim(1e-3, 1)
            ax.set_ylim(0, 1.01)
            ax.set_title(f'{level}-level, {difficulty} pairs')
            ax.set_xlabel('false positive rate')
            ax.set_ylabel('true positive rate')
            ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _read(path: str) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f'cannot read image {path}')
    return image


def draw_ranking_examples(path: str, feats: np.ndarray, samples: Sequence[dict],
                          is_query: np.ndarray, pids: np.ndarray, cams: np.ndarray,
                          num_queries: int = 4, top_k: int = 8,
                          metric: str = 'euclidean') -> str:
    """Ranking lists (paper Fig. 5) of a few evenly spaced queries by the ``metric``
    distance, with the VeRi rule (gallery images of the query's id *and* camera are left
    out)."""
    q_idx = np.flatnonzero(is_query)
    g_idx = np.flatnonzero(~is_query)
    chosen = q_idx[np.linspace(0, len(q_idx) - 1, min(num_queries, len(q_idx))).astype(int)]
    dist = pairwise_distance(feats[chosen], feats[g_idx], metric).double().numpy()
    rows = []
    for row, q in enumerate(chosen):
        keep = ~((pids[g_idx] == pids[q]) & (cams[g_idx] == cams[q]))
        order = np.argsort(dist[row], kind='stable')
        order = order[keep[order]][:top_k]
        gallery = [_read(samples[g_idx[i]]['img_path']) for i in order]
        rows.append(draw_ranking_list(
            _read(samples[q]['img_path']), gallery, distances=dist[row][order],
            matches=pids[g_idx[order]] == pids[q], query_title=f'id {pids[q]} cam {cams[q]}'))
    return write_png(path, vstack(rows))


def draw_part_examples(path: str, samples: Sequence[dict],
                       part_names: Optional[Sequence[str]] = None, num: int = 6) -> str:
    """Detected part boxes on a few test images (paper Fig. 3)."""
    chosen = [samples[i] for i in np.linspace(0, len(samples) - 1, min(num, len(samples)))
              .astype(int)]
    images, drawings = [], []
    for sample in chosen:
        image = _read(sample['img_path'])
        parts = sample['pred_instances']
        images.append(image)
        drawings.append(draw_parts(image, _np(parts['bboxes']), _np(parts['labels']),
                                   _np(parts['scores']), _np(parts['detected']), part_names))
    return write_png(path, draw_parts_grid(images, drawings))


def _np(value) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, 'detach') else np.asarray(value)


def _verification_table(results: dict, level: str) -> List[str]:
    names = [f'{level}_{d}' for d in DIFFICULTIES]
    lines = ['| method | ' + ' | '.join(f'{d} acc (± std) | {d} AUC' for d in DIFFICULTIES)
             + ' |', '|---' * (1 + 2 * len(DIFFICULTIES)) + '|']
    for method in results['methods'].values():
        cells = []
        for name in names:
            m = method['verification'].get(name)
            cells += (['–', '–'] if m is None else
                      [f'{m["accuracy"]:.3f} ± {m["accuracy_std"]:.3f}', f'{m["auc"]:.3f}'])
        lines.append(f'| {method["title"]} | ' + ' | '.join(cells) + ' |')
    return lines


def _against_plain_drdl(results: dict) -> List[str]:
    """EIA-Net's accuracy minus Plain DRDL's on every pair list, when both were run, with the
    standard error of the paired fold differences where both results hold their folds."""
    methods = results['methods']
    if 'eianet' not in methods or 'plain_drdl' not in methods:
        return []
    lines = ['## EIA-Net against Plain DRDL', '',
             '| level | ' + ' | '.join(f'{d} acc' for d in DIFFICULTIES) + ' | ahead on |',
             '|---' * (2 + len(DIFFICULTIES)) + '|']
    for level in ('model', 'year'):
        cells, ahead = [], 0
        for d in DIFFICULTIES:
            eia = methods['eianet']['verification'][f'{level}_{d}']
            plain = methods['plain_drdl']['verification'][f'{level}_{d}']
            diff = eia['accuracy'] - plain['accuracy']
            ahead += diff > 0
            folds = eia.get('fold_accuracy'), plain.get('fold_accuracy')
            if None in folds:  # results written before the folds were kept
                cells.append(f'{diff:+.3f}')
            else:
                cells.append(f'{diff:+.3f} ± {paired_fold_difference(*folds)[1]:.3f}')
        lines.append(f'| {level} | ' + ' | '.join(cells) + f' | {ahead} of {len(cells)} lists |')
    return lines + ['', 'Accuracy differences; ± the standard error of the difference over the '
                    'pairs (both methods are scored on the same cross-validation folds: the '
                    'standard deviation of the per-fold differences over the square root of '
                    'the number of folds). Pairs share images, so another draw of test images '
                    'moves a difference somewhat more.', '']


def _pair_scorers(results: dict) -> List[str]:
    """For each method scored by fitted part pair scorers: its numbers by the distance
    alone against the scorer's, and the weight each scorer gives each part's distance."""
    lines: List[str] = []
    for method in results['methods'].values():
        if 'pair_scorer' not in method:
            continue
        names = sorted(method['verification'])
        lines += [f'## {method["title"]}: the learned part weighting', '',
                  'Its verification rows above come from a `PartPairScorer` per level '
                  '(logistic regression on the distances of the parts both images show, '
                  'fitted on training pairs; config `pair_scorer`). By the distance alone:',
                  '', '| list | distance acc / AUC | scorer acc / AUC |', '|---|---|---|']
        for name in names:
            d, m = method['verification_by_distance'][name], method['verification'][name]
            lines.append(f'| {name} | {d["accuracy"]:.3f} / {d["auc"]:.3f} | '
                         f'{m["accuracy"]:.3f} / {m["auc"]:.3f} |')
        learned = method['pair_scorer']
        levels = list(learned)
        lines += ['', 'Weight of each distance in the log-odds of "same" (negative: a larger '
                  'distance speaks for "different"):', '',
                  '| part | ' + ' | '.join(levels) + ' |', '|---' * (1 + len(levels)) + '|']
        for part in learned[levels[0]]['distance']:
            lines.append(f'| {part} | ' + ' | '.join(
                f'{learned[lv]["distance"][part]:+.2f}' for lv in levels) + ' |')
        if all('global_distance' in learned[lv] for lv in levels):
            lines.append('| global branch | ' + ' | '.join(
                f'{learned[lv]["global_distance"]:+.2f}' for lv in levels) + ' |')
        lines.append('')
    return lines


def _by_viewpoint(results: dict, level: str = 'year') -> List[str]:
    """AUC of each method per viewpoint pair of the ``level`` lists (when measured): which
    views a method can compare."""
    methods = {k: m for k, m in results['methods'].items()
               if all('by_viewpoint' in m['verification'].get(f'{level}_{d}', {})
                      for d in DIFFICULTIES)}
    if not methods:
        return []
    lines = [f'## {level.capitalize()}-level AUC by viewpoint pair', '',
             'AUC over the pairs of a list whose two images have these viewpoints (from the '
             'CompCars label files); "–" where those pairs are all positives or all '
             'negatives.', '']
    for d in DIFFICULTIES:
        groups = next(iter(methods.values()))['verification'][f'{level}_{d}']['by_viewpoint']
        lines += [f'**{level}_{d}**', '',
                  '| viewpoints | pairs (positives) | '
                  + ' | '.join(m['title'] for m in methods.values()) + ' |',
                  '|---' * (2 + len(methods)) + '|']
        for group, g in groups.items():
            cells = []
            for m in methods.values():
                auc = m['verification'][f'{level}_{d}']['by_viewpoint'][group]['auc']
                cells.append('–' if auc is None else f'{auc:.3f}')
            lines.append(f'| {group} | {g["pairs"]} ({g["positives"]}) | '
                         + ' | '.join(cells) + ' |')
        lines.append('')
    return lines


def _part_localisation(results: dict) -> List[str]:
    """Per method with part boxes: where its box of each part falls, per viewpoint."""
    lines: List[str] = []
    for method in results['methods'].values():
        table = method.get('part_localisation')
        if not table:
            continue
        views = sorted({view for groups in table.values() for view in groups})
        detector = PART_DETECTOR_TEXT.get(method.get('part_detector'), '')
        found = f'The parts were found {detector} ' if detector else ''
        lines += [f'## {method["title"]}: part boxes by viewpoint', '',
                  found + 'Share of the test images showing a part where the network '
                  'detects that part and its box overlaps the part (IoU >= 0.5); in brackets, '
                  'the share of the images *not* showing the part where it is detected all the '
                  'same. Parts a network does not find in a view cannot enter its R-MAC there.',
                  '',
                  '| part | ' + ' | '.join(views) + ' |', '|---' * (1 + len(views)) + '|']
        for part, groups in table.items():
            cells = []
            for view in views:
                g = groups.get(view, {})
                placed = '–' if g.get('placed') is None else f'{g["placed"]:.2f}'
                false = '' if g.get('false') is None else f' ({g["false"]:.2f})'
                cells.append(placed + false)
            lines.append(f'| {part} | ' + ' | '.join(cells) + ' |')
        lines.append('')
    return lines


def describe_counts(counts: dict) -> str:
    """One sentence of the generated data's sizes (from ``synthcars_meta.json`` counts)."""
    cc, veri = counts.get('compcars', {}), counts.get('veri776', {})
    pairs = cc.get('pairs', {})
    pair_text = ', '.join(f'{name} {p["positives"]}+{p["negatives"]}'
                          for name, p in sorted(pairs.items()))
    return (f'CompCars layout {cc.get("train_images", "?")} training / '
            f'{cc.get("test_images", "?")} test images, pairs (positives+negatives) '
            f'{pair_text}; VeRi-776 layout {veri.get("train_ids", "?")} training / '
            f'{veri.get("test_ids", "?")} test vehicles, {veri.get("query_images", "?")} '
            f'queries, {veri.get("test_images", "?")} gallery images')


def write_report(path: str, results: dict) -> str:
    """report.md: settings, the verification tables, re-ID, timings and the pictures."""
    seed, train_seed = results['seed'], results.get('train_seed', results['seed'])
    seeds = (f'seed {seed}' if train_seed == seed else
             f'data seed {seed}, training seed {train_seed}')
    lines = [f'# EIA-Net on SynthCars ({seeds})', '',
             f'Data: `{results["data_root"]}` (preset `{results["preset"]}`): '
             f'{describe_counts(results["data"].get("counts") or {})}.', '',
             'Verification accuracy: threshold chosen by 10-fold stratified cross-validation '
             '(fewer folds only for pair lists too small for 10: `n_folds` in results.json) '
             '(mean ± std over the held-out folds); AUC of the ROC curve.', '']
    for level, text in (('model', 'Model-level verification (same model = positive)'),
                        ('year', 'Year-level verification (same model *and* year = positive; '
                         'negatives are the same model with another year)')):
        lines += [f'## {text}', ''] + _verification_table(results, level) + ['']
    lines += _against_plain_drdl(results)
    lines += _pair_scorers(results)
    lines += _by_viewpoint(results)
    lines += _part_localisation(results)
    if results.get('reid'):
        r = results['reid']
        lines += ['## Re-ID on SynthCars VeRi-776 (EIA-Net)', '',
                  '| Rank-1 | Rank-5 | Rank-10 | mAP | mINP | queries | gallery |',
                  '|---|---|---|---|---|---|---|',
                  f'| {r["R1"]:.3f} | {r["R5"]:.3f} | {r["R10"]:.3f} | {r["mAP"]:.3f} | '
                  f'{r["mINP"]:.3f} | {r["num_query"]} | {r["num_gallery"]} |', '']
    artefacts: Dict[str, str] = results.get('artefacts', {})
    for key, title in (('roc', 'ROC curves'), ('ranking', 'Ranking lists (green: same vehicle)'),
                       ('parts', 'Detected parts')):
        if key in artefacts:
            lines += [f'## {title}', '', f'![{title}]({artefacts[key]})', '']
    lines += ['## Time', '', '| stage | seconds |', '|---|---|']
    lines += [f'| {k} | {v:.0f} |' for k, v in results['timing_s'].items()]
    lines += [f'| total | {sum(results["timing_s"].values()):.0f} |', '']
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
    return path


__all__ = ['draw_part_examples', 'draw_ranking_examples', 'plot_roc_curves', 'write_report']
