"""Where a part detector puts its one box per part, per part and image group (e.g. viewpoint).

The EIA-Net keeps a single box per part class (or none: a missed part) and pools the R-MAC
inside it. This scores those boxes against ground-truth part boxes: a part is *placed* in an
image that shows it when its box is detected and overlaps one of the image's boxes of that
part at IoU >= a threshold; it is *falsely detected* in an image that does not show it.
"""
import json
from typing import Dict, Hashable, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['box_iou', 'part_localisation', 'read_coco_part_boxes']


def box_iou(boxes1: np.ndarray, boxes2: np.ndarray) -> np.ndarray:
    """IoU of every pair of ``[x1, y1, x2, y2]`` boxes, ``[N, 4] x [M, 4] -> [N, M]``
    (0 where both boxes have no area)."""
    a = np.asarray(boxes1, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(boxes2, dtype=np.float64).reshape(-1, 4)
    wh = (np.minimum(a[:, None, 2:], b[None, :, 2:])
          - np.maximum(a[:, None, :2], b[None, :, :2])).clip(min=0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])).clip(min=0)
    area_b = ((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])).clip(min=0)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def part_localisation(pred_boxes: np.ndarray,
                      detected: np.ndarray,
                      gt_boxes: Sequence[np.ndarray],
                      gt_labels: Sequence[np.ndarray],
                      groups: Sequence[Hashable],
                      part_names: Sequence[str],
                      iou_thr: float = 0.5) -> Dict[str, Dict[str, Dict[str, object]]]:
    """Placed and falsely detected parts per part and image group.

    Args:
        pred_boxes (np.ndarray): ``[N, P, 4]`` each image's box of each part (xyxy).
        detected (np.ndarray): ``[N, P]`` bool, the part was detected.
        gt_boxes (Sequence[np.ndarray]): Per image, its ground-truth part boxes ``[G_i, 4]``
            (xyxy, the same pixels as ``pred_boxes``).
        gt_labels (Sequence[np.ndarray]): Per image, the part index (0..P-1) of each box.
        groups (Sequence[Hashable]): Per image, its group (e.g. the viewpoint's name).
        part_names (Sequence[str]): The P part names (the keys of the result).
        iou_thr (float): IoU a detected box needs with a box of its part to count as
            placed. Defaults to 0.5.

    Returns:
        dict: ``part -> group -> {'shown', 'placed', 'not_shown', 'false'}``: the images of
        the group that show the part, the share of them where it is placed (None when it is
        shown in none), the images that do not show it, and the share of those where it is
        detected all the same (None when there are none). Groups in sorted order.
    """
    boxes = np.asarray(pred_boxes, dtype=np.float64)
    found = np.asarray(detected, dtype=bool)
    num, parts = found.shape if found.ndim == 2 else (-1, -1)
    if boxes.shape != (num, parts, 4) or parts != len(part_names):
        raise ValueError(f'part_localisation: pred_boxes must be [N, P, 4] and detected '
                         f'[N, P] with P = {len(part_names)} part names, got '
                         f'{boxes.shape} and {found.shape}')
    if not len(gt_boxes) == len(gt_labels) == len(groups) == num:
        raise ValueError(f'part_localisation: {num} images, but {len(gt_boxes)} gt box sets, '
                         f'{len(gt_labels)} label sets and {len(groups)} groups')
    shown = np.zeros((num, parts), dtype=bool)
    placed = np.zeros((num, parts), dtype=bool)
    for i, (gt, labels) in enumerate(zip(gt_boxes, gt_labels)):
        gt = np.asarray(gt, dtype=np.float64).reshape(-1, 4)
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        if labels.shape[0] != gt.shape[0] or ((labels < 0) | (labels >= parts)).any():
            raise ValueError(f'part_localisation: image {i} has {gt.shape[0]} boxes and '
                             f'labels {labels.tolist()} (part indices 0..{parts - 1})')
        if not labels.size:
            continue
        overlap = box_iou(boxes[i], gt) >= iou_thr  # [P, G]
        own = labels[None, :] == np.arange(parts)[:, None]
        shown[i] = own.any(axis=1)
        placed[i] = found[i] & (overlap & own).any(axis=1)
    group_arr = np.asarray([str(g) for g in groups])
    out: Dict[str, Dict[str, Dict[str, object]]] = {}
    for p, name in enumerate(part_names):
        out[name] = {}
        for group in sorted(set(group_arr.tolist())):
            member = group_arr == group
            with_part, without = member & shown[:, p], member & ~shown[:, p]
            n_shown, n_not = int(with_part.sum()), int(without.sum())
            out[name][group] = dict(
                shown=n_shown,
                placed=float(placed[with_part, p].mean()) if n_shown else None,
                not_shown=n_not,
                false=float(found[without, p].mean()) if n_not else None)
    return out


def read_coco_part_boxes(ann_file: str, num_parts: Optional[int] = None
                         ) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Part boxes of a COCO-style annotation file, by image ``file_name``.

    Args:
        ann_file (str): The JSON file (``images``, ``annotations`` with ``bbox`` as
            ``[x, y, w, h]`` and ``category_id`` 1..num_parts).
        num_parts (int, optional): Number of part classes; None accepts any
            ``category_id`` >= 1. Defaults to None.

    Returns:
        dict: ``file_name -> (boxes [G, 4] xyxy, part indices [G])`` for every image
        (images without boxes included, with empty arrays).
    """
    with open(ann_file) as f:
        coco = json.load(f)
    names: Dict[int, str] = {}
    boxes: Dict[str, List[List[float]]] = {}
    labels: Dict[str, List[int]] = {}
    for image in coco.get('images', []):
        names[image['id']] = image['file_name']
        boxes[image['file_name']], labels[image['file_name']] = [], []
    for k, ann in enumerate(coco.get('annotations', [])):
        where = f'{ann_file}: annotations[{k}]'
        if ann.get('image_id') not in names:
            raise ValueError(f'{where} refers to image_id {ann.get("image_id")!r}, which is '
                             'not in "images"')
        category = ann.get('category_id')
        top = float('inf') if num_parts is None else num_parts
        if not isinstance(category, int) or not 1 <= category <= top:
            expected = 'an integer >= 1' if num_parts is None else f'1..{num_parts}'
            raise ValueError(f'{where} has category_id {category!r}; expected {expected}')
        x, y, w, h = (float(v) for v in ann['bbox'])
        file_name = names[ann['image_id']]
        boxes[file_name].append([x, y, x + w, y + h])
        labels[file_name].append(category - 1)
    return {name: (np.asarray(boxes[name], dtype=np.float64).reshape(-1, 4),
                   np.asarray(labels[name], dtype=np.int64)) for name in boxes}

