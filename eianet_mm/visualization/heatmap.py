"""Activation heat maps: the channel mean of a feature map over the image (the paper's Fig. 4)."""
from typing import Sequence, Tuple

import cv2
import numpy as np

from .canvas import BLACK, as_bgr_image, caption_strip, hstack, resize_to_height, vstack


def activation_map(feature) -> np.ndarray:
    """The channel-mean activation of a feature map, scaled to ``[0, 1]``.

    Args:
        feature (array-like): ``[C, H, W]`` feature map (a tensor or an array).

    Returns:
        np.ndarray: ``float32`` map ``[H, W]``: ``(m - min) / (max - min)`` of the channel
        mean ``m``; all zeros when ``m`` is constant.
    """
    feat = np.asarray(feature.detach().cpu() if hasattr(feature, 'detach') else feature,
                      dtype=np.float64)
    if feat.ndim != 3 or min(feat.shape) == 0:
        raise ValueError(f'feature must have shape [C, H, W] with C, H, W > 0, got {feat.shape}')
    if not np.isfinite(feat).all():
        raise ValueError('feature holds non-finite values')
    mean = feat.mean(axis=0)
    span = mean.max() - mean.min()
    if span <= 0:
        return np.zeros(mean.shape, dtype=np.float32)
    return ((mean - mean.min()) / span).astype(np.float32)


def overlay_heatmap(image: np.ndarray,
                    activation: np.ndarray,
                    alpha: float = 0.5,
                    colormap: int = cv2.COLORMAP_JET) -> np.ndarray:
    """Blend a ``[0, 1]`` activation map, stretched to the image, over the image.

    Args:
        image (np.ndarray): ``uint8`` BGR image ``[H, W, 3]``.
        activation (np.ndarray): ``[h, w]`` map in ``[0, 1]`` covering the whole image; it is
            resized bilinearly to ``[H, W]``.
        alpha (float): Weight of the heat map in the blend. Defaults to 0.5.
        colormap (int): OpenCV colour map. Defaults to ``cv2.COLORMAP_JET`` (red = high).

    Returns:
        np.ndarray: ``uint8`` BGR image ``[H, W, 3]``.
    """
    image = as_bgr_image(image)
    act = np.asarray(activation, dtype=np.float32)
    if act.ndim != 2 or min(act.shape) == 0:
        raise ValueError(f'activation must have shape [h, w], got {act.shape}')
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    act = cv2.resize(np.clip(act, 0.0, 1.0), (image.shape[1], image.shape[0]),
                     interpolation=cv2.INTER_LINEAR)
    heat = cv2.applyColorMap(np.round(act * 255).astype(np.uint8), colormap)
    return cv2.addWeighted(heat, alpha, image, 1.0 - alpha, 0.0)


def draw_heatmap_row(image: np.ndarray,
                     maps: Sequence[Tuple[str, np.ndarray]],
                     height: int = 192,
                     alpha: float = 0.5) -> np.ndarray:
    """The original image, then one overlay per ``(title, activation)``, titled, in a row.

    Args:
        image (np.ndarray): ``uint8`` BGR image.
        maps (Sequence[tuple]): ``(title, activation [h, w] in [0, 1])`` pairs.
        height (int): Height of each tile in pixels. Defaults to 192.
        alpha (float): Heat map weight in each overlay. Defaults to 0.5.

    Returns:
        np.ndarray: The row, ``uint8`` BGR.
    """
    base = resize_to_height(as_bgr_image(image), height)[0]
    tiles = [('image', base)] + [(title, overlay_heatmap(base, act, alpha))
                                 for title, act in maps]
    return hstack([vstack([tile, caption_strip(tile.shape[1], [title], BLACK, 0.45)], gap=0)
                   for title, tile in tiles])
