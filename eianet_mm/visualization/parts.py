"""Detected vehicle parts drawn on an image (the paper's Fig. 3)."""
from typing import Optional, Sequence

import cv2
import numpy as np

from .canvas import (BLACK, as_bgr_image, caption_strip, hstack, part_color, put_label,
                     resize_to_height, vstack)


def _as_rows(values, num: int, name: str, dtype) -> np.ndarray:
    arr = np.asarray(values.cpu() if hasattr(values, 'cpu') else values, dtype=dtype)
    if arr.shape[0] != num:
        raise ValueError(f'{name} has {arr.shape[0]} rows, bboxes has {num}')
    return arr


def part_name(index: int, part_names: Optional[Sequence[str]]) -> str:
    """``part_names[index]``, or ``part<index>`` when no names are given."""
    if part_names is not None and 0 <= index < len(part_names):
        return str(part_names[index])
    return f'part{index}'


def draw_parts(image: np.ndarray,
               bboxes,
               labels=None,
               scores=None,
               detected=None,
               part_names: Optional[Sequence[str]] = None,
               min_size: int = 256,
               show_missed: bool = True) -> np.ndarray:
    """Draw part boxes with their names (and scores) on a copy of ``image``.

    Args:
        image (np.ndarray): ``uint8`` BGR image, ``[H, W, 3]``.
        bboxes (array-like): ``[N, 4]`` boxes ``x1, y1, x2, y2`` in ``image`` pixels, one row
            per part class (``pred_instances.bboxes``).
        labels (array-like, optional): ``[N]`` part index of each row. Defaults to None
            (row ``i`` is part ``i``).
        scores (array-like, optional): ``[N]`` scores, printed after the name. Defaults to
            None.
        detected (array-like, optional): ``[N]`` bools; rows that are False are not drawn.
            Defaults to None (rows with a box of positive area are drawn).
        part_names (Sequence[str], optional): Name of each part index. Defaults to None
            (``part0``, ``part1``, ...).
        min_size (int): The picture is enlarged (boxes with it) until its shorter side is at
            least this many pixels, so that names stay legible on small images; it is never
            shrunk. Defaults to 256.
        show_missed (bool): Add a caption line naming the parts that were not detected.
            Defaults to True.

    Returns:
        np.ndarray: The drawing, ``uint8`` BGR.
    """
    canvas = as_bgr_image(image)
    boxes = np.asarray(bboxes.cpu() if hasattr(bboxes, 'cpu') else bboxes, dtype=np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f'bboxes must have shape [N, 4], got {boxes.shape}')
    num = boxes.shape[0]
    labels = np.arange(num) if labels is None else _as_rows(labels, num, 'labels', np.int64)
    if detected is None:
        detected = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    else:
        detected = _as_rows(detected, num, 'detected', bool)
    if scores is not None:
        scores = _as_rows(scores, num, 'scores', np.float64)

    scale = max(1.0, min_size / min(canvas.shape[:2]))
    if scale > 1.0:
        size = (int(round(canvas.shape[1] * scale)), int(round(canvas.shape[0] * scale)))
        canvas = cv2.resize(canvas, size, interpolation=cv2.INTER_LINEAR)
    thickness = max(2, int(round(min(canvas.shape[:2]) / 200)))
    for row in range(num):
        if not detected[row]:
            continue
        x1, y1, x2, y2 = (int(round(v * scale)) for v in boxes[row])
        color = part_color(labels[row])
        cv2.rectangle(canvas, (x1, y1), (x2, y2), color, thickness)
        text = part_name(int(labels[row]), part_names)
        if scores is not None:
            text += f' {scores[row]:.2f}'
        put_label(canvas, text, (x1, y1 - 18 if y1 >= 18 else y1 + thickness), color)
    if not show_missed:
        return canvas
    missed = [part_name(int(labels[r]), part_names) for r in range(num) if not detected[r]]
    line = 'missed: ' + (', '.join(missed) if missed else 'none')
    return vstack([canvas, caption_strip(canvas.shape[1], [line], BLACK, 0.45)], gap=0)


def draw_parts_grid(images: Sequence[np.ndarray],
                    drawings: Sequence[np.ndarray],
                    height: int = 192) -> np.ndarray:
    """The paper's Fig. 3 layout: originals in the first row, their part drawings below.

    Args:
        images (Sequence[np.ndarray]): The original images (``uint8`` BGR).
        drawings (Sequence[np.ndarray]): :func:`draw_parts` of each image, same order.
        height (int): Height of the originals in pixels; each drawing is scaled to the width
            of its original. Defaults to 192.

    Returns:
        np.ndarray: The grid, ``uint8`` BGR.
    """
    if len(images) != len(drawings) or not images:
        raise ValueError(f'need as many drawings as images (got {len(drawings)} drawings for '
                         f'{len(images)} images, at least one)')
    columns = []
    for image, drawing in zip(images, drawings):
        top = resize_to_height(as_bgr_image(image), height)[0]
        drawing = as_bgr_image(drawing, 'drawing')
        bottom_h = max(1, int(round(drawing.shape[0] * top.shape[1] / drawing.shape[1])))
        bottom = cv2.resize(drawing, (top.shape[1], bottom_h), interpolation=cv2.INTER_AREA)
        columns.append(vstack([top, bottom]))
    return hstack(columns)
