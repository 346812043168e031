"""ONNX export of the embedding model (backbone + part RPN + CR-MAC) and its check.

The exported graph takes the **raw image**: ``float32 [N, 3, H, W]``, values 0-255, channels
in **BGR** order (as ``cv2.imread`` returns them, transposed to CHW), already resized to the
fixed ``H x W`` of the export. Everything the data preprocessor does is inside the graph:
BGR->RGB when the config's ``data_preprocessor.bgr_to_rgb`` is set, ``(x - mean) / std``,
and padding to ``pad_size_divisor`` with its ``pad_value``; so the caller must not
normalise (no double normalisation). The output ``embedding [N, D]`` equals
:func:`eianet_mm.apis.extract` on the same image (flip-averaged when the config's
``test_cfg.flip`` is set).

Parts are selected by each part's best-scoring anchor (the part RPN's ``part_select='max'``,
pure tensor operations); NMS is not exportable. Build the model with
:data:`EXPORT_CFG_OPTIONS` so that PyTorch and ONNX select parts the same way.
"""
import os
import os.path as osp
import warnings
from typing import Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config

from mmdet.utils import get_test_pipeline_cfg

#: Build options of an exportable model: argmax part selection (NMS is not exportable) and
#: float32 throughout (a config's bfloat16 ``autocast_dtype`` speeds PyTorch up on CPUs with
#: bfloat16 units; the float32 ONNX graph runs on every runtime).
EXPORT_CFG_OPTIONS = {'model.test_cfg.rpn.part_select': 'max', 'model.autocast_dtype': None}


class EmbeddingExportModule(nn.Module):
    """Raw BGR image -> embedding, with the data preprocessor's steps inside.

    Args:
        model (nn.Module): An ``EIANet`` built with :data:`EXPORT_CFG_OPTIONS`.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        rpn = getattr(model, 'rpn_head', None)
        if rpn is not None and rpn.test_cfg.get('part_select', 'nms') != 'max':
            raise ValueError("ONNX export needs the part RPN's part_select='max' (NMS is not "
                             "exportable): build the model with cfg_options="
                             f'{EXPORT_CFG_OPTIONS}')
        pre = model.data_preprocessor
        self.model = model
        self.bgr_to_rgb = bool(getattr(pre, '_channel_conversion', False))
        normalize = bool(getattr(pre, '_enable_normalize', False))
        self.register_buffer('mean', (pre.mean if normalize else torch.zeros(3, 1, 1)).clone())
        self.register_buffer('std', (pre.std if normalize else torch.ones(3, 1, 1)).clone())
        self.pad_size_divisor = int(getattr(pre, 'pad_size_divisor', 1))
        self.pad_value = float(getattr(pre, 'pad_value', 0))
        self.flip = bool(model.test_cfg.get('flip', False))

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        """Pad right and bottom to ``pad_size_divisor`` with ``pad_value`` (as the data
        preprocessor); concatenation keeps every shape static in the ONNX graph."""
        n, c, height, width = (int(v) for v in x.shape)
        d = self.pad_size_divisor
        pad_h, pad_w = (-height) % d, (-width) % d
        if pad_w:
            x = torch.cat([x, x.new_full((n, c, height, pad_w), self.pad_value)], dim=3)
        if pad_h:
            x = torch.cat([x, x.new_full((n, c, pad_h, width + pad_w), self.pad_value)], dim=2)
        return x

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Embeddings ``[N, D]`` of raw BGR images ``[N, 3, H, W]`` (0-255)."""
        x = image.flip(1) if self.bgr_to_rgb else image
        x = (x - self.mean) / self.std
        padded = self._pad(x)
        img_shape = (int(x.shape[-2]), int(x.shape[-1]))
        metas = [dict(img_shape=img_shape, pad_shape=tuple(padded.shape[-2:]))] * int(
            x.shape[0])
        raw, _ = self.model._raw_embedding(padded, metas)
        if self.flip:
            # the model flips each image inside its unpadded width: the same as flipping
            # before padding (the padding is on the right)
            flipped, _ = self.model._raw_embedding(self._pad(x.flip(-1)), metas)
            raw = (raw + flipped) / 2
        return self.model.metric_head.predict_by_feat(raw)


def export_onnx(model: nn.Module,
                out: str,
                input_size: Tuple[int, int],
                batch_size: int = 1,
                opset: int = 17) -> EmbeddingExportModule:
    """Export the embedding model to ONNX (input ``image``, output ``embedding``).

    Args:
        model (nn.Module): An ``EIANet`` built with :data:`EXPORT_CFG_OPTIONS`, on the CPU.
        out (str): The ``.onnx`` file to write.
        input_size (tuple[int, int]): The fixed ``(H, W)`` of the input.
        batch_size (int): The fixed batch size N of the input. Defaults to 1.
        opset (int): ONNX opset. Defaults to 17.

    Returns:
        EmbeddingExportModule: The exported module (to compare against). The written file
        has passed ``onnx.checker.check_model``.
    """
    module = EmbeddingExportModule(model).eval()
    dummy = torch.zeros(batch_size, 3, int(input_size[0]), int(input_size[1]))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    # The trace fixes every shape (input size, batch, feature map): the tracer's warnings
    # about shapes turned into constants are expected.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(module, (dummy, ), out, input_names=['image'],
                          output_names=['embedding'], opset_version=opset, dynamo=False)
    import onnx  # only needed here (requirements/tests.txt)
    onnx.checker.check_model(out)
    return module


def fixed_input_size(cfg: Config) -> Tuple[int, int]:
    """The ``(H, W)`` the config's test pipeline resizes every image to.

    Raises:
        ValueError: The pipeline has no ``Resize`` with a fixed ``scale`` and
            ``keep_ratio=False`` (then the size must be given).
    """
    for step in get_test_pipeline_cfg(cfg):
        name = str(step.get('type', '')).split('.')[-1]
        if name == 'Resize' and step.get('scale') is not None and not step.get(
                'keep_ratio', False):
            scale = step['scale']
            width, height = (scale, scale) if isinstance(scale, int) else scale
            return int(height), int(width)
    raise ValueError('the test pipeline does not resize to a fixed size (Resize with scale and '
                     'keep_ratio=False); give the input size explicitly')


def run_onnx(path: str, images: np.ndarray) -> np.ndarray:
    """Run an exported model with onnxruntime (CPU) on ``float32 [N, 3, H, W]`` images."""
    import onnxruntime as ort  # only needed here (requirements/tests.txt)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
    return session.run(['embedding'], {'image': np.ascontiguousarray(images, np.float32)})[0]


def bgr_images_to_input(images) -> np.ndarray:
    """``uint8`` BGR ``[H, W, 3]`` images (all the same size) -> ``float32 [N, 3, H, W]``."""
    return np.stack([np.asarray(im, np.float32).transpose(2, 0, 1) for im in images])
