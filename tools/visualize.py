"""See what the model looks at: detected parts (paper Fig. 3) and activation heat maps (Fig. 4).

``parts``: every image with its detected part boxes, names and scores (missed parts listed
under it), one PNG per image plus ``parts_grid.png`` (originals above, detections below).

``heatmap``: every image next to the channel-mean activation of two last conv feature
maps: the backbone output (the map the part RPN and the Part-based CNN see) and the part
RPN's shared conv features that the R-MAC pools; one PNG per image plus ``heatmaps.png``.
In the paper the part-RPN activations concentrate on the key parts while a plain network's
spread over the whole vehicle.

Examples:
    python tools/visualize.py parts CONFIG CKPT --images a.jpg b.jpg --out-dir vis/
    python tools/visualize.py heatmap CONFIG CKPT --images data/synthcars/veri776/image_query \\
        --out-dir vis/ --max-images 8
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmengine.config import DictAction

from eianet_mm.apis import collect_images, extract, feature_maps, init_model, part_names_of
from eianet_mm.datasets.transforms.loading import read_vehicle_image
from eianet_mm.utils.cli import run_reporting_errors
from eianet_mm.visualization import (activation_map, draw_heatmap_row, draw_parts,
                                     draw_parts_grid, vstack, write_png)

USER_ERRORS = (OSError, ValueError, RuntimeError, ImportError)
MAP_TITLES = {'backbone': 'backbone (last conv)', 'part_rpn': 'part RPN features'}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='tools/visualize.py',
        description='Draw what an EIA-Net checkpoint sees: "parts" draws the detected '
        'vehicle parts on each image (paper Fig. 3); "heatmap" overlays the channel-mean '
        'activation of the backbone\'s last conv map and of the part-RPN features on each '
        'image (paper Fig. 4).')
    sub = parser.add_subparsers(dest='command', required=True)
    for name, text in (('parts', 'detected part boxes on each image'),
                       ('heatmap', 'activation heat maps: backbone vs part RPN')):
        cmd = sub.add_parser(name, help=text, description=f'Write {text}.')
        cmd.add_argument('config', help='model config file')
        cmd.add_argument('checkpoint', help='checkpoint file')
        cmd.add_argument('--images', nargs='+', required=True,
                         help='image files, folders and/or list files')
        cmd.add_argument('--out-dir', required=True, help='folder for the PNG files')
        cmd.add_argument('--max-images', type=int, default=16,
                         help='draw at most this many images (default: 16)')
        cmd.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
        cmd.add_argument('--cfg-options', nargs='+', action=DictAction,
                         help='override config settings')
    return parser.parse_args(argv)


def picture_name(out_dir: str, index: int, path: str, kind: str) -> str:
    """``<out_dir>/<kind>_<index>_<image stem>.png`` (the index keeps names unique)."""
    stem = osp.splitext(osp.basename(path))[0]
    return osp.join(out_dir, f'{kind}_{index:04d}_{stem}.png')


def draw_all_parts(model, images: List[str], out_dir: str) -> List[str]:
    """The ``parts`` command on loaded inputs; returns the written files."""
    names = part_names_of(model)
    _, parts = extract(model, images, return_parts=True)
    originals, drawings, written = [], [], []
    for i, path in enumerate(images):
        image = read_vehicle_image(path)
        drawing = draw_parts(image, parts['bboxes'][i], parts['labels'][i], parts['scores'][i],
                             parts['detected'][i], names)
        written.append(write_png(picture_name(out_dir, i, path, 'parts'), drawing))
        originals.append(image)
        drawings.append(drawing)
    written.append(write_png(osp.join(out_dir, 'parts_grid.png'),
                             draw_parts_grid(originals, drawings)))
    return written


def draw_all_heatmaps(model, images: List[str], out_dir: str) -> List[str]:
    """The ``heatmap`` command on loaded inputs; returns the written files."""
    rows, written = [], []
    for i, path in enumerate(images):
        maps = feature_maps(model, path)
        row = draw_heatmap_row(read_vehicle_image(path),
                               [(MAP_TITLES[k], activation_map(v)) for k, v in maps.items()])
        written.append(write_png(picture_name(out_dir, i, path, 'heatmap'), row))
        rows.append(row)
    written.append(write_png(osp.join(out_dir, 'heatmaps.png'), vstack(rows)))
    return written


def run(args: argparse.Namespace) -> List[str]:
    """Run the command; return the written files."""
    if args.max_images < 1:
        raise ValueError(f'--max-images must be positive, got {args.max_images}')
    images, _ = collect_images(args.images)
    images = images[:args.max_images]
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options)
    draw = draw_all_parts if args.command == 'parts' else draw_all_heatmaps
    written = draw(model, images, args.out_dir)
    print(f'{len(written)} pictures written to {args.out_dir} (summary: {written[-1]})')
    return written


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    return run_reporting_errors(lambda: run(args), USER_ERRORS)


if __name__ == '__main__':
    sys.exit(main())
