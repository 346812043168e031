"""Generate SynthCars, the embedded procedural vehicle dataset, in the real datasets' layouts.

Writes, under --out: compcars/ (CompCars web-nature layout with model- and year-level
verification pairs), veri776/ and vehicleid/ (re-ID layouts), parts/annotations/ (COCO part
boxes) and synthcars_meta.json. The same seed and sizes give byte-identical files, whatever the
number of workers.

Examples:
    python tools/make_synthcars.py --out data/synthcars                 # demo size, seed 0
    python tools/make_synthcars.py --out /tmp/sc --preset tiny --seed 3
    python tools/make_synthcars.py --out data/big --preset large --workers 8
    python tools/make_synthcars.py --sample-grid docs/images/synthcars_samples.png
"""
import argparse
import os
import sys
from typing import List, Optional

from eianet_mm.datasets.synthcars import PRESETS, SynthCarsConfig, draw_sample_grid, generate

#: Command-line number options (sizes, parts changed per year) and the config fields they set.
NUMBER_OPTIONS = (
    ('--makes', 'makes', 'number of makes'),
    ('--models-per-make', 'models_per_make', 'models of each make (>= 2)'),
    ('--years-per-model', 'years_per_model', 'released years of each model (>= 2)'),
    ('--images-per-class', 'images_per_class',
     'CompCars images per model-year of the training models'),
    ('--test-images-per-class', 'test_images_per_class',
     'CompCars images per model-year of the test models (0: as --images-per-class)'),
    ('--instances', 'instances', 'vehicle identities of VeRi-776, and again of VehicleID'),
    ('--cameras', 'cameras', 'cameras of each re-ID set'),
    ('--cameras-per-instance', 'cameras_per_instance', 'cameras that see each re-ID vehicle'),
    ('--images-per-camera', 'images_per_camera', 'images of a re-ID vehicle per camera'),
    ('--image-size', 'image_size', 'side of the square images in pixels'),
    ('--pairs-per-file', 'pairs_per_file',
     'pairs per verification pair file (0: as many positives as test images)'),
    ('--min-parts-per-year', 'min_parts_per_year',
     'fewest of --year-parts a new model year changes'),
    ('--max-parts-per-year', 'max_parts_per_year',
     'most of --year-parts a new model year changes'),
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', help='output folder (required unless only --sample-grid)')
    parser.add_argument('--seed', type=int, default=0, help='dataset seed (default: 0)')
    parser.add_argument(
        '--preset', choices=sorted(PRESETS), default='demo',
        help='preset the number options override (default: demo, about 7,900 images of '
        '128x128, a few seconds on 2 cores; tiny: a test-sized set; large: about 14,000 '
        'images of 224x224)')
    for flag, field, text in NUMBER_OPTIONS:
        parser.add_argument(flag, type=int, dest=field, help=f'{text} (default: from --preset)')
    parser.add_argument('--year-parts', type=lambda text: tuple(text.split(',')),
                        help='comma-separated parts a new model year may change, from '
                        'head_light, tail_light, logo, wheel, grille (default: from --preset)')
    parser.add_argument('--year-pairs-any-view', action='store_true',
                        help='draw year-level pairs from every viewpoint, also pairs that show '
                        'no common part the years change (default: both images show one)')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='render processes; the output does not depend on it '
                        '(default: min(4, CPUs))')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace a SynthCars dataset already in --out')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--sample-grid', metavar='PNG',
                        help='also write a picture of samples with their part boxes')
    args = parser.parse_args(argv)
    if args.out is None and args.sample_grid is None:
        parser.error('--out is required (or give --sample-grid alone)')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    overrides = {field: getattr(args, field) for _, field, _ in NUMBER_OPTIONS
                 if getattr(args, field) is not None}
    if args.year_parts is not None:
        overrides['year_parts'] = args.year_parts
    if args.year_pairs_any_view:
        overrides['year_pairs_show_design'] = False
    try:
        cfg = SynthCarsConfig.from_preset(args.preset, **overrides)
    except ValueError as err:
        print(f'make_synthcars.py: error: {err}', file=sys.stderr)
        return 2
    if args.sample_grid:
        draw_sample_grid(args.sample_grid, cfg, args.seed)
        print(f'wrote {args.sample_grid}')
    if args.out is None:
        return 0
    summary = generate(args.out, cfg, seed=args.seed, num_workers=args.workers,
                       progress=not args.no_progress, overwrite=args.overwrite)
    compcars = summary.counts['compcars']
    veri = summary.counts['veri776']
    vid = summary.counts['vehicleid']
    print(f'SynthCars (seed {summary.seed}) in {summary.out_dir}: {summary.images} images '
          f'({summary.files} files) in {summary.seconds:.1f} s, '
          f'{summary.images_per_second:.0f} images/s with {args.workers} worker(s)')
    print(f'  CompCars: {compcars["train_images"]} train / {compcars["test_images"]} test images, '
          f'{compcars["pairs"]["model_easy"]["positives"] * 2} pairs per pair file')
    print(f'  VeRi-776: {veri["train_ids"]} train / {veri["test_ids"]} test ids, '
          f'{veri["query_images"]} queries, {veri["test_images"]} gallery images')
    print(f'  VehicleID: {vid["train_ids"]} train / {vid["test_ids"]} test ids')
    return 0


if __name__ == '__main__':
    sys.exit(main())
