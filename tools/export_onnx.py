"""Export the EIA-Net embedding model to ONNX and check it against PyTorch.

The ONNX model (input ``image``, output ``embedding``) takes the raw image as
``float32 [N, 3, H, W]``: values 0-255, channels in BGR order (``cv2.imread``, transposed
to CHW), resized to the fixed ``H x W`` of the export (by default the size the config's
test pipeline resizes to). BGR->RGB, mean/std normalisation and padding are inside the
graph: do not normalise the input yourself. The output is the CR-MAC embedding ``[N, D]``,
flip-averaged when the config's ``test_cfg.flip`` is set. Parts are selected by each
part's best-scoring anchor (``part_select='max'``; NMS is not exportable), so the PyTorch
side of the check runs with the same setting.

The check runs the exported file with onnxruntime and compares it with
1. the PyTorch export module on the same input, and
2. ``eianet_mm.apis.extract`` on the same images through the config's test pipeline
   (which proves there is no double normalisation),
prints both maximum absolute differences, and exits with status 1 when either is above
``--tolerance`` (1e-4).

Example:
    python tools/export_onnx.py configs/eianet_r18_synthcars.py CKPT --out eianet.onnx \\
        --images data/synthcars/compcars/data/image/1/1/2010/0001.jpg
"""
import argparse
import sys
from typing import List, Optional

import cv2
import numpy as np
import torch
from mmengine.config import DictAction

from eianet_mm.apis import (EXPORT_CFG_OPTIONS, bgr_images_to_input, export_onnx, extract,
                            fixed_input_size, init_model, run_onnx)
from eianet_mm.datasets.transforms.loading import read_vehicle_image

USER_ERRORS = (OSError, ValueError, RuntimeError, ImportError)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='tools/export_onnx.py',
        description='Export the EIA-Net embedding model (backbone + part RPN + CR-MAC, fixed '
        'input size) to ONNX, run it with onnxruntime and compare with PyTorch; exits 1 when '
        'the maximum absolute difference is above --tolerance.',
        epilog='ONNX input "image": float32 [N, 3, H, W], raw BGR values 0-255 (no '
        'normalisation: mean/std and BGR->RGB are inside). Output "embedding": [N, D].')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='ONNX file to write')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input height and width (default: the test pipeline\'s Resize)')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='fixed batch size N of the input (default: 1)')
    parser.add_argument('--opset', type=int, default=17, help='ONNX opset (default: 17)')
    parser.add_argument('--images', nargs='+', default=[],
                        help='images for the check (resized to H x W); seeded random images '
                        'fill up the batch')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest accepted max abs difference (default: 1e-4)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


def check_images(paths: List[str], batch_size: int, height: int, width: int) -> List[np.ndarray]:
    """``batch_size`` uint8 BGR images of ``height x width``: the given ones, then noise."""
    if len(paths) > batch_size:
        raise ValueError(f'{len(paths)} check images for a batch of {batch_size}; give at '
                         'most --batch-size images')
    images = [cv2.resize(read_vehicle_image(p), (width, height), interpolation=cv2.INTER_LINEAR)
              for p in paths]
    rng = np.random.RandomState(0)
    while len(images) < batch_size:
        images.append(rng.randint(0, 256, (height, width, 3)).astype(np.uint8))
    return images


def run(args: argparse.Namespace) -> dict:
    """Export and check; return the differences."""
    if args.batch_size < 1:
        raise ValueError(f'--batch-size must be positive, got {args.batch_size}')
    cfg_options = dict(args.cfg_options or {}, **EXPORT_CFG_OPTIONS)
    model = init_model(args.config, args.checkpoint, 'cpu', cfg_options)
    height, width = args.shape if args.shape else fixed_input_size(model.cfg)
    images = check_images(args.images, args.batch_size, height, width)
    module = export_onnx(model, args.out, (height, width), args.batch_size, args.opset)
    print(f'exported {args.out}: input "image" float32 [{args.batch_size}, 3, {height}, '
          f'{width}] raw BGR 0-255; output "embedding" [{args.batch_size}, {model.embed_dims}]; '
          f'flip averaging {"on" if module.flip else "off"}; parts by per-part max')
    inputs = bgr_images_to_input(images)
    onnx_out = run_onnx(args.out, inputs)
    with torch.no_grad():
        torch_out = module(torch.from_numpy(inputs)).numpy()
    pipeline_out = extract(model, images, batch_size=args.batch_size, progress=False)
    diffs = dict(onnx_vs_pytorch=float(np.abs(onnx_out - torch_out).max()),
                 onnx_vs_pipeline=float(np.abs(onnx_out - pipeline_out).max()))
    print(f'max abs difference, onnxruntime vs PyTorch: {diffs["onnx_vs_pytorch"]:.3e}')
    print(f'max abs difference, onnxruntime vs the test pipeline (apis.extract): '
          f'{diffs["onnx_vs_pipeline"]:.3e}')
    print(f'embedding magnitude (max abs): {float(np.abs(torch_out).max()):.3e}')
    diffs['passed'] = max(diffs['onnx_vs_pytorch'], diffs['onnx_vs_pipeline']) <= args.tolerance
    print('check ' + ('passed' if diffs['passed'] else f'FAILED (tolerance {args.tolerance:g})'))
    return diffs


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        result = run(args)
    except USER_ERRORS as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0 if result['passed'] else 1


if __name__ == '__main__':
    sys.exit(main())
