"""A verification result as one picture: both images with their parts, side by side."""
from typing import Mapping, Optional, Sequence

import cv2
import numpy as np

from .canvas import (BLACK, GREEN, RED, as_bgr_image, caption_strip, hstack, part_color,
                     resize_to_height, vstack)
from .parts import draw_parts

DECISION_WORDS = {
    'model': ('SAME MODEL', 'DIFFERENT MODELS'),
    'year': ('SAME MODEL AND YEAR', 'DIFFERENT MODEL OR YEAR'),
}


def _scaled_parts(parts: Optional[Mapping], scale: float) -> Optional[dict]:
    if parts is None:
        return None
    out = {k: np.asarray(v.cpu() if hasattr(v, 'cpu') else v) for k, v in parts.items()}
    out['bboxes'] = out['bboxes'].astype(np.float64) * scale
    return out


def decision_word(same: Optional[bool], level: str = 'model') -> str:
    """``'SAME MODEL'`` / ``'DIFFERENT MODELS'`` (or the year-level words); ``'NO DECISION'``
    when ``same`` is None."""
    if level not in DECISION_WORDS:
        raise ValueError(f'level must be one of {sorted(DECISION_WORDS)}, got {level!r}')
    if same is None:
        return 'NO DECISION'
    return DECISION_WORDS[level][0 if same else 1]


def decision_text(distance: float, threshold: Optional[float], same: Optional[bool],
                  level: str = 'model') -> str:
    """One line that states the distance, the threshold and the decision."""
    word = decision_word(same, level)
    text = f'distance {distance:.4f}'
    if threshold is None or same is None:
        return text + ' | no threshold: no decision'
    return text + f' | threshold {threshold:.4f} ({level} level) -> {word}'


def draw_verify_pair(image1: np.ndarray,
                     image2: np.ndarray,
                     parts1: Optional[Mapping] = None,
                     parts2: Optional[Mapping] = None,
                     distance: float = 0.0,
                     threshold: Optional[float] = None,
                     same: Optional[bool] = None,
                     level: str = 'model',
                     part_names: Optional[Sequence[str]] = None,
                     height: int = 256,
                     titles: Optional[Sequence[str]] = None) -> np.ndarray:
    """Draw a verified pair: a header with the decision, both images with their parts.

    Parts detected in both images (the ones the alignment loss compares) are joined by a
    line in the part's colour.

    Args:
        image1 (np.ndarray): First image, ``uint8`` BGR.
        image2 (np.ndarray): Second image, ``uint8`` BGR.
        parts1 (Mapping, optional): The first image's parts: ``bboxes [N, 4]`` (its pixels),
            ``detected [N]`` and optionally ``scores``, ``labels``. Defaults to None (no
            boxes drawn).
        parts2 (Mapping, optional): The same for the second image. Defaults to None.
        distance (float): The embedding distance. Defaults to 0.0.
        threshold (float, optional): The decision threshold on the distance. Defaults to
            None.
        same (bool, optional): The decision (distance <= threshold). Defaults to None.
        level (str): ``'model'`` or ``'year'``, for the wording. Defaults to 'model'.
        part_names (Sequence[str], optional): Name of each part index. Defaults to None.
        height (int): Height of each image in the picture. Defaults to 256.
        titles (Sequence[str], optional): A caption under each image (e.g. file names).
            Defaults to None.

    Returns:
        np.ndarray: The picture, ``uint8`` BGR.
    """
    panels, centres = [], []
    for index, (image, parts) in enumerate(((image1, parts1), (image2, parts2))):
        resized, scale = resize_to_height(as_bgr_image(image, f'image{index + 1}'), height)
        parts = _scaled_parts(parts, scale)
        if parts is None:
            panel = resized
            centres.append({})
        else:
            panel = draw_parts(resized, parts['bboxes'], parts.get('labels'),
                               parts.get('scores'), parts.get('detected'), part_names,
                               min_size=0)
            labels = parts.get('labels', np.arange(len(parts['bboxes'])))
            detected = parts.get('detected')
            boxes = parts['bboxes']
            if detected is None:
                detected = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
            centres.append({
                int(labels[r]): ((boxes[r, 0] + boxes[r, 2]) / 2, (boxes[r, 1] + boxes[r, 3]) / 2)
                for r in range(len(boxes)) if detected[r]
            })
        if titles is not None:
            panel = vstack([panel, caption_strip(panel.shape[1], [str(titles[index])])], gap=0)
        panels.append(panel)

    gap = 24
    body = hstack(panels, gap=gap)
    offset = panels[0].shape[1] + gap
    for label in sorted(set(centres[0]) & set(centres[1])):
        (x1, y1), (x2, y2) = centres[0][label], centres[1][label]
        cv2.line(body, (int(round(x1)), int(round(y1))), (int(round(x2 + offset)),
                                                         int(round(y2))),
                 part_color(label), 2, cv2.LINE_8)
    color = BLACK if same is None else (GREEN if same else RED)
    detail = f'distance {distance:.4f}' + (' | no threshold' if threshold is None else
                                            f' | threshold {threshold:.4f} ({level} level)')
    header = vstack([caption_strip(body.shape[1], [decision_word(same, level)], color, 0.7),
                     caption_strip(body.shape[1], [detail], BLACK, 0.45)], gap=0)
    return vstack([header, body], gap=0)
