"""Image loading with errors that name the file (unreadable, truncated, empty images)."""
import logging
import math
import struct
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmengine.fileio import get
from mmengine.logging import print_log

from ..parsing import data_error

__all__ = ['BadImageError', 'LoadVehicleImage', 'read_vehicle_image']

_JPEG_SOI, _JPEG_SOS, _JPEG_EOI = b'\xff\xd8', b'\xff\xda', b'\xff\xd9'
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


class BadImageError(OSError):
    """An image file that cannot be used: missing, empty, truncated or undecodable."""


def read_vehicle_image(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an image as 3-channel uint8 BGR, or raise :class:`BadImageError` naming it.

    Decoding is mmcv's ``'color'`` mode (OpenCV ``IMREAD_COLOR``): a grayscale image is
    replicated to 3 channels, the alpha channel of a 4-channel image is dropped, 16-bit
    images are scaled to 8 bits, and the EXIF orientation is applied. A JPEG without its
    end-of-image marker after the last scan, or a PNG without its ``IEND`` chunk, is
    reported as *truncated* (older OpenCV versions decode such files silently, padded
    with grey); a PNG whose header gives width or height 0 as such.

    Args:
        path (str): The image file.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.

    Returns:
        np.ndarray: The image, ``[H, W, 3]`` uint8 BGR.
    """
    try:
        data = get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise BadImageError(f'image not found: {path}') from None
    except OSError as e:
        raise BadImageError(f'cannot read image {path}: {e}') from None
    if len(data) == 0:
        raise BadImageError(f'image file is empty (0 bytes): {path}')
    if data.startswith(_JPEG_SOI):
        last_scan = data.rfind(_JPEG_SOS)
        if last_scan < 0 or data.find(_JPEG_EOI, last_scan) < 0:
            raise BadImageError(f'truncated JPEG (no end-of-image marker after the last '
                                f'scan, {len(data)} bytes): {path}')
    elif data.startswith(_PNG_SIGNATURE):
        if data.rfind(b'IEND') < 0:
            raise BadImageError(f'truncated PNG (no IEND chunk, {len(data)} bytes): {path}')
        if data[12:16] == b'IHDR':
            width, height = struct.unpack('>II', data[16:24])
            if width == 0 or height == 0:
                raise BadImageError(f'image has size {width} x {height}: {path}')
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise BadImageError(f'cannot decode image ({len(data)} bytes; not an image OpenCV '
                            f'reads, or corrupt): {path}')
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise BadImageError(f'image has size {img.shape[1]} x {img.shape[0]}: {path}')
    return img


@TRANSFORMS.register_module()
class LoadVehicleImage(BaseTransform):
    """Load ``results['img_path']`` with clear errors; optionally crop to ``crop_bbox``.

    Reads with :func:`read_vehicle_image` (3-channel uint8 BGR; grayscale and 4-channel
    images are converted, see there). A missing, empty (0 bytes), truncated or undecodable
    image raises :class:`BadImageError` naming the file. With ``skip_bad=True`` such an image
    is skipped instead: the transform logs a warning with the file, the reason and the
    running count of skipped images (per worker process, in ``num_skipped``) and returns
    None, so mmengine's training dataset draws another index. mmengine raises on None in
    ``test_mode``, so test sets never skip.

    When ``results['crop_bbox']`` is set (``[x1, y1, x2, y2]``, 0-based continuous pixel
    coordinates, e.g. CompCars' ``crop_to_car_box``), the image is cropped to it (clipped
    to the image; a box with no pixel inside the image raises an error naming
    ``results['label_path']``). Sets ``img``, ``img_shape`` and ``ori_shape`` (the shape
    after cropping).

    Args:
        to_float32 (bool): Convert the image to float32. Defaults to False.
        skip_bad (bool): Skip (and count) unreadable images instead of raising. Defaults
            to False.
        backend_args (dict, optional): mmengine file backend arguments. Defaults to None.
    """

    def __init__(self,
                 to_float32: bool = False,
                 skip_bad: bool = False,
                 backend_args: Optional[dict] = None) -> None:
        self.to_float32 = to_float32
        self.skip_bad = skip_bad
        self.backend_args = backend_args
        self.num_skipped = 0

    def transform(self, results: dict) -> Optional[dict]:
        """Load (and crop) the image; None when it is bad and ``skip_bad`` is set."""
        path = results['img_path']
        try:
            img = read_vehicle_image(path, self.backend_args)
        except BadImageError as e:
            if not self.skip_bad:
                raise
            self.num_skipped += 1
            print_log(f'LoadVehicleImage: skipping bad image #{self.num_skipped} of this '
                      f'process: {e}', logger='current', level=logging.WARNING)
            return None
        box = results.get('crop_bbox')
        if box is not None:
            img = self._crop(img, box, results.get('label_path', path), path)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    @staticmethod
    def _crop(img: np.ndarray, box: list, source: str, img_path: str) -> np.ndarray:
        height, width = img.shape[:2]
        x1, y1 = max(int(math.floor(box[0])), 0), max(int(math.floor(box[1])), 0)
        x2, y2 = min(int(math.ceil(box[2])), width), min(int(math.ceil(box[3])), height)
        if x2 <= x1 or y2 <= y1:
            raise data_error(source, f'crop box {list(box)} has no pixel inside the '
                             f'{width} x {height} image {img_path}')
        return img[y1:y2, x1:x2]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(to_float32={self.to_float32}, '
                f'skip_bad={self.skip_bad}, backend_args={self.backend_args})')
