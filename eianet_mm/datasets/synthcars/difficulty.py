"""How hard is a SynthCars dataset? Two reference scorers on its verification pairs.

- Colour histogram: the whole image's joint BGR histogram, compared by chi-square distance.
  Paint, light and background are nuisance, so it should be near chance on year-level pairs.
- Part oracle: compares the *ground-truth* crops (COCO file) of the design parts (those a
  model year may change: head light, tail light, logo, wheel) visible in both images: grey
  crops resized to a small square and standardised, compared by mean squared difference (the
  smallest over the mirror image, and for wheels over rim rotations); the pair's distance is
  the mean over the co-visible design parts. It shows that the answer is in the parts.

Both read the dataset from disk, as any loader would.
"""
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from ...evaluation.functional.part_localisation import read_coco_part_boxes
from .config import PART_NAMES
from .pairs import PAIR_FILES

Box = Tuple[int, int, int, int]


def read_pairs(root: str, name: str) -> Tuple[List[str], List[str], np.ndarray]:
    """Read one pair file of a SynthCars dataset.

    Args:
        root (str): The dataset folder (the ``--out`` of ``make_synthcars.py``).
        name (str): A key of ``PAIR_FILES`` (``model_easy`` ... ``year_hard``).

    Returns:
        tuple: First paths, second paths (relative to ``compcars/data/image``), labels.
    """
    path = osp.join(root, 'compcars', 'data', 'train_test_split', 'verification',
                    PAIR_FILES[name])
    first, second, labels = [], [], []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            fields = line.split()
            if len(fields) != 3 or fields[2] not in ('0', '1'):
                raise ValueError(f'{path}:{lineno}: expected "<path1> <path2> <0|1>", got '
                                 f'{line.rstrip()!r}')
            first.append(fields[0])
            second.append(fields[1])
            labels.append(int(fields[2]))
    return first, second, np.asarray(labels, dtype=np.int64)


def read_part_boxes(coco_file: str) -> Dict[str, Dict[int, Box]]:
    """The largest box of each part class per image of a COCO part file.

    Args:
        coco_file (str): A ``parts_*.json`` file.

    Returns:
        dict: ``file_name -> {label: (x1, y1, x2, y2)}``.
    """
    best: Dict[str, Dict[int, Box]] = {}
    for name, (boxes, labels) in read_coco_part_boxes(coco_file).items():
        parts: Dict[int, Box] = {}
        best[name] = parts
        for box, label in zip(boxes, labels.tolist()):
            old = parts.get(label)
            if old is None or ((box[2] - box[0]) * (box[3] - box[1])
                               > (old[2] - old[0]) * (old[3] - old[1])):
                parts[label] = tuple(int(v) for v in box)
    return best


def color_histogram_scores(image_dir: str, first: Sequence[str], second: Sequence[str],
                           bins: int = 8) -> np.ndarray:
    """Similarity (minus chi-square distance) of the images' joint BGR histograms.

    Args:
        image_dir (str): Folder the paths are relative to.
        first (Sequence[str]): First image of each pair.
        second (Sequence[str]): Second image of each pair.
        bins (int): Bins per channel. Defaults to 8.

    Returns:
        np.ndarray: One score per pair, higher = more alike.
    """
    cache: Dict[str, np.ndarray] = {}

    def hist(path: str) -> np.ndarray:
        if path not in cache:
            img = _imread(osp.join(image_dir, path), cv2.IMREAD_COLOR)
            h = cv2.calcHist([img], [0, 1, 2], None, [bins] * 3, [0, 256] * 3).ravel()
            cache[path] = h / h.sum()
        return cache[path]

    out = np.empty(len(first))
    for k, (a, b) in enumerate(zip(first, second)):
        ha, hb = hist(a), hist(b)
        out[k] = -0.5 * float(np.sum((ha - hb) ** 2 / (ha + hb + 1e-12)))
    return out


def part_oracle_scores(image_dir: str, first: Sequence[str], second: Sequence[str],
                       boxes: Dict[str, Dict[int, Box]],
                       labels: Sequence[int] = (0, 1, 2, 6), crop: int = 12) -> np.ndarray:
    """Similarity of the ground-truth crops of the design parts visible in both images.

    Args:
        image_dir (str): Folder the paths are relative to.
        first (Sequence[str]): First image of each pair.
        second (Sequence[str]): Second image of each pair.
        boxes (dict): ``file_name -> {label: box}`` (see :func:`read_part_boxes`).
        labels (Sequence[int]): Part classes compared. Defaults to ``(0, 1, 2, 6)`` (head
            light, tail light, logo, wheel).
        crop (int): Side of the compared crops in pixels. Defaults to 12.

    Returns:
        np.ndarray: One score per pair, higher = more alike; a pair without a co-visible part
        gets the median score (the oracle cannot tell).
    """
    wheel = PART_NAMES.index('wheel')
    centre = ((crop - 1) / 2, (crop - 1) / 2)
    rotations = [cv2.getRotationMatrix2D(centre, angle, 1.0) for angle in range(0, 360, 15)]
    cache: Dict[Tuple[str, int], np.ndarray] = {}
    grey: Dict[str, np.ndarray] = {}

    def patch(path: str, label: int) -> np.ndarray:
        key = (path, label)
        if key not in cache:
            if path not in grey:
                grey[path] = _imread(osp.join(image_dir, path), cv2.IMREAD_GRAYSCALE)
            x1, y1, x2, y2 = boxes[path][label]
            p = cv2.resize(grey[path][y1:y2, x1:x2].astype(np.float32), (crop, crop),
                           interpolation=cv2.INTER_AREA)
            p -= p.mean()
            cache[key] = p / max(float(p.std()), 1.0)
        return cache[key]

    out = np.full(len(first), np.nan)
    for k, (a, b) in enumerate(zip(first, second)):
        if a not in boxes or b not in boxes:
            raise KeyError(f'no part boxes for {a if a not in boxes else b}')
        dists = []
        for label in sorted(set(boxes[a]) & set(boxes[b]) & set(labels)):
            pa, pb = patch(a, label), patch(b, label)
            if label == wheel:
                cands = [cv2.warpAffine(pb, m, (crop, crop), borderMode=cv2.BORDER_REFLECT)
                         for m in rotations]
            else:
                cands = [pb, pb[:, ::-1]]
            dists.append(min(float(np.mean((pa - c)**2)) for c in cands))
        if dists:
            out[k] = -float(np.mean(dists))
    if np.isnan(out).all():
        return np.zeros(len(first))
    return np.where(np.isnan(out), np.nanmedian(out), out)


def _imread(path: str, flags: int) -> np.ndarray:
    img = cv2.imread(path, flags)
    if img is None:
        raise FileNotFoundError(f'cannot read image {path}')
    return img


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (ties count one half).

    Args:
        labels (np.ndarray): 1 = same, 0 = different.
        scores (np.ndarray): Higher = more alike.

    Returns:
        float: The AUC.
    """
    n_pos, n_neg = int(np.sum(labels == 1)), int(np.sum(labels == 0))
    if n_pos == 0 or n_neg == 0:
        raise ValueError('roc_auc needs positive and negative pairs')
    values, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    first_rank = np.cumsum(counts) - counts + 1
    ranks = (first_rank + (counts - 1) / 2)[inverse]  # average ranks: a tie counts one half
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score value t maximising the accuracy of "same iff score >= t" (first on ties)."""
    order = np.argsort(scores, kind='stable')
    s, y = scores[order], labels[order] == 1
    values, first = np.unique(s, return_index=True)
    pos_below = np.concatenate([[0], np.cumsum(y)])[first]
    neg_below = first - pos_below
    correct = (y.sum() - pos_below) + neg_below
    return float(values[int(np.argmax(correct))])


def cv_accuracy(labels: np.ndarray, scores: np.ndarray, folds: int = 10, seed: int = 0) -> float:
    """Accuracy with the threshold chosen on the other folds (shuffled, stratified folds).

    Args:
        labels (np.ndarray): 1 = same, 0 = different.
        scores (np.ndarray): Higher = more alike.
        folds (int): Number of folds. Defaults to 10.
        seed (int): Seed of the shuffle. Defaults to 0.

    Returns:
        float: The mean accuracy over the held-out folds (weighted by fold size).
    """
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=np.int64)
    for value in (0, 1):
        idx = np.flatnonzero(labels == value)
        fold[rng.permutation(idx)] = np.arange(len(idx)) % folds
    correct = 0
    for f in range(folds):
        train, test = fold != f, fold == f
        if not test.any():
            continue
        t = _best_threshold(scores[train], labels[train])
        correct += int(np.sum((scores[test] >= t) == (labels[test] == 1)))
    return correct / len(labels)


def evaluate_difficulty(root: str, names: Sequence[str] = tuple(PAIR_FILES)
                        ) -> Dict[str, Dict[str, float]]:
    """Score the colour-histogram baseline and the part oracle on a dataset's pair files.

    Args:
        root (str): The dataset folder.
        names (Sequence[str]): Pair sets to score. Defaults to all six.

    Returns:
        dict: ``name -> {pairs, histogram_auc, histogram_acc, oracle_auc, oracle_acc}``.
    """
    image_dir = osp.join(root, 'compcars', 'data', 'image')
    boxes = read_part_boxes(osp.join(root, 'parts', 'annotations', 'parts_test.json'))
    out = {}
    for name in names:
        first, second, labels = read_pairs(root, name)
        hist = color_histogram_scores(image_dir, first, second)
        oracle = part_oracle_scores(image_dir, first, second, boxes)
        out[name] = dict(pairs=int(len(labels)), histogram_auc=roc_auc(labels, hist),
                         histogram_acc=cv_accuracy(labels, hist),
                         oracle_auc=roc_auc(labels, oracle), oracle_acc=cv_accuracy(labels, oracle))
    return out
