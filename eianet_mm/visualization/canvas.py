"""Canvas helpers shared by the drawing functions: colours, text, framing, stacking, PNG output.

Every function takes and returns ``uint8`` BGR images of shape ``[H, W, 3]`` (OpenCV's
convention) and never modifies its input. Drawing is deterministic: fixed colours, fixed fonts,
no randomness.
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

Color = Tuple[int, int, int]

#: BGR colour of part index ``i`` (cycled when there are more parts than colours).
PART_COLORS: Tuple[Color, ...] = (
    (0, 215, 255),    # gold
    (60, 20, 220),    # crimson
    (255, 144, 30),   # dodger blue
    (50, 205, 50),    # lime green
    (226, 43, 138),   # blue violet
    (0, 140, 255),    # dark orange
    (208, 224, 64),   # turquoise
    (147, 20, 255),   # deep pink
    (0, 128, 128),    # olive
    (180, 105, 255),  # hot pink
)
GREEN: Color = (40, 170, 40)
RED: Color = (40, 40, 220)
BLUE: Color = (200, 120, 0)
GRAY: Color = (150, 150, 150)
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)

FONT = cv2.FONT_HERSHEY_SIMPLEX


def part_color(index: int) -> Color:
    """The BGR colour of a part index."""
    return PART_COLORS[int(index) % len(PART_COLORS)]


def as_bgr_image(image: np.ndarray, name: str = 'image') -> np.ndarray:
    """Check an image and return it as a contiguous ``uint8`` BGR copy.

    Args:
        image (np.ndarray): ``[H, W]`` (gray), ``[H, W, 1]``, ``[H, W, 3]`` (BGR) or
            ``[H, W, 4]`` (BGRA); ``uint8``, or float in ``[0, 255]``.
        name (str): Name used in error messages. Defaults to 'image'.

    Returns:
        np.ndarray: ``uint8`` array of shape ``[H, W, 3]``.
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f'{name} must be a numpy array, got {type(image).__name__}')
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or min(image.shape[:2]) == 0:
        raise ValueError(f'{name} must have shape [H, W], [H, W, 1], [H, W, 3] or [H, W, 4] '
                         f'with H, W > 0, got {image.shape}')
    if image.dtype != np.uint8:
        if not np.issubdtype(image.dtype, np.number) or not np.isfinite(image).all():
            raise ValueError(f'{name} must hold finite numbers, got dtype {image.dtype}')
        image = np.clip(np.round(image), 0, 255).astype(np.uint8)
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    return np.ascontiguousarray(image).copy()


def resize_to_height(image: np.ndarray, height: int) -> Tuple[np.ndarray, float]:
    """Resize keeping the aspect ratio so that the image is ``height`` pixels high.

    Returns:
        tuple: the resized image and the scale factor applied.
    """
    scale = height / image.shape[0]
    width = max(1, int(round(image.shape[1] * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp), scale


def fit_in_box(image: np.ndarray, size: Tuple[int, int], fill: Color = WHITE) -> np.ndarray:
    """Letterbox an image into ``size = (width, height)``, centred, keeping its aspect ratio."""
    width, height = size
    scale = min(width / image.shape[1], height / image.shape[0])
    new_w = max(1, int(round(image.shape[1] * scale)))
    new_h = max(1, int(round(image.shape[0] * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (new_w, new_h), interpolation=interp)
    canvas = np.full((height, width, 3), fill, dtype=np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top:top + new_h, left:left + new_w] = resized
    return canvas


def text_size(text: str, scale: float = 0.5, thickness: int = 1) -> Tuple[int, int]:
    """Width and height (including the baseline) of ``text`` in pixels."""
    (w, h), baseline = cv2.getTextSize(text, FONT, scale, thickness)
    return w, h + baseline


def put_label(image: np.ndarray,
              text: str,
              origin: Tuple[int, int],
              color: Color,
              scale: float = 0.45,
              thickness: int = 1) -> None:
    """Draw ``text`` in white on a filled box of ``color``, top-left corner at ``origin``.

    The box is moved inside the image when it would stick out. Draws in place.
    """
    w, h = text_size(text, scale, thickness)
    x = int(min(max(origin[0], 0), max(image.shape[1] - w - 4, 0)))
    y = int(min(max(origin[1], 0), max(image.shape[0] - h - 4, 0)))
    cv2.rectangle(image, (x, y), (x + w + 4, y + h + 4), color, thickness=-1)
    cv2.putText(image, text, (x + 2, y + h - 1), FONT, scale, WHITE, thickness, cv2.LINE_AA)


def wrap_text(text: str, width: int, scale: float = 0.5) -> List[str]:
    """Split ``text`` at spaces (or, for a long word, anywhere) into lines that fit ``width``."""
    lines: List[str] = []
    current = ''
    for word in text.split(' '):
        candidate = word if not current else f'{current} {word}'
        if text_size(candidate, scale)[0] <= width - 8:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while len(current) > 1 and text_size(current, scale)[0] > width - 8:
            cut = len(current) - 1
            while cut > 1 and text_size(current[:cut], scale)[0] > width - 8:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    lines.append(current)
    return lines


def caption_strip(width: int,
                  lines: Sequence[str],
                  color: Color = BLACK,
                  scale: float = 0.5,
                  background: Color = WHITE) -> np.ndarray:
    """A strip of ``width`` pixels holding ``lines`` of text (wrapped to fit), one per row."""
    wrapped = [part for line in lines for part in wrap_text(line, width, scale)]
    line_h = text_size('Ag', scale)[1] + 6
    strip = np.full((line_h * max(len(wrapped), 1) + 4, width, 3), background, dtype=np.uint8)
    for i, line in enumerate(wrapped):
        cv2.putText(strip, line, (4, 2 + line_h * (i + 1) - 6), FONT, scale, color, 1,
                    cv2.LINE_AA)
    return strip


def add_frame(image: np.ndarray, color: Color, thickness: int = 4) -> np.ndarray:
    """A copy of ``image`` with a ``thickness``-pixel frame of ``color`` drawn inside its border."""
    out = image.copy()
    t = max(1, min(thickness, min(image.shape[:2]) // 2))
    out[:t] = color
    out[-t:] = color
    out[:, :t] = color
    out[:, -t:] = color
    return out


def hstack(images: Sequence[np.ndarray], gap: int = 4, fill: Color = WHITE) -> np.ndarray:
    """Place images left to right, top-aligned, ``gap`` pixels apart."""
    height = max(im.shape[0] for im in images)
    width = sum(im.shape[1] for im in images) + gap * (len(images) - 1)
    canvas = np.full((height, width, 3), fill, dtype=np.uint8)
    x = 0
    for im in images:
        canvas[:im.shape[0], x:x + im.shape[1]] = im
        x += im.shape[1] + gap
    return canvas


def vstack(images: Sequence[np.ndarray], gap: int = 4, fill: Color = WHITE) -> np.ndarray:
    """Place images top to bottom, left-aligned, ``gap`` pixels apart."""
    width = max(im.shape[1] for im in images)
    height = sum(im.shape[0] for im in images) + gap * (len(images) - 1)
    canvas = np.full((height, width, 3), fill, dtype=np.uint8)
    y = 0
    for im in images:
        canvas[y:y + im.shape[0], :im.shape[1]] = im
        y += im.shape[0] + gap
    return canvas


def write_png(path: str, image: np.ndarray, compression: Optional[int] = 3) -> str:
    """Write ``image`` as a PNG file, creating the folder; raise naming the file on failure.

    Args:
        path (str): Output file; must end with ``.png``.
        image (np.ndarray): ``uint8`` BGR image.
        compression (int, optional): PNG compression level 0-9. Defaults to 3.

    Returns:
        str: ``path``.
    """
    if not str(path).lower().endswith('.png'):
        raise ValueError(f'{path}: pictures are written as PNG; use a .png file name')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    ok = cv2.imwrite(str(path), as_bgr_image(image), [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise OSError(f'could not write {path}')
    return str(path)
