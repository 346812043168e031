"""Benchmark SynthCars generation speed (images rendered, JPEG-encoded and written per second).

Generates the demo-size dataset (128x128 by default) with 1 and with 2 worker processes into a
temporary folder and reports images/s of the render phase and of the whole generation (world,
plan, rendering, layout files). Prints one final JSON line.

    python benchmarks/bench_synthcars.py [--image-size 128] [--workers 1 2] [--repeat 1]
    python benchmarks/bench_synthcars.py --quick    # 8 CompCars images per class, 1 worker

The project's target is >= 300 images/s at 128x128 on 2 cores. Other processes on the machine
lower the wall-clock figures; "images per CPU-second" (CPU time of this process and its
workers) does not depend on them and bounds what one idle core does.
"""
import argparse
import json
import os
import tempfile
import time

from eianet_mm.datasets.synthcars import SynthCarsConfig, generate


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the render workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--image-size', type=int, default=128, help='default: 128')
    parser.add_argument('--workers', type=int, nargs='+',
                        help='default: 1 2 (--quick: 1)')
    parser.add_argument('--repeat', type=int, default=1,
                        help='runs per worker count; the best is reported (default: 1)')
    parser.add_argument('--seed', type=int, default=0, help='default: 0')
    parser.add_argument('--quick', action='store_true',
                        help='8 CompCars images per model-year (not 120 / 200); 1 worker unless '
                        '--workers')
    args = parser.parse_args()
    if args.workers is None:
        args.workers = [1] if args.quick else [1, 2]
    cfg = SynthCarsConfig(image_size=args.image_size,
                          **(dict(images_per_class=8, test_images_per_class=0)
                             if args.quick else {}))
    results = {}
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    print(f'SynthCars generation, demo sizes at {args.image_size}x{args.image_size}, '
          f'{os.cpu_count()} CPUs, load average {load:.2f} before the runs')
    for workers in args.workers:
        best = None
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                cpu0 = _cpu_seconds()
                start = time.perf_counter()
                summary = generate(tmp, cfg, seed=args.seed, num_workers=workers)
                total = time.perf_counter() - start
                cpu = _cpu_seconds() - cpu0
            run = dict(images=summary.images, render_images_per_s=summary.images_per_second,
                       total_s=total, total_images_per_s=summary.images / total, cpu_s=cpu,
                       images_per_cpu_s=summary.images / cpu)
            if best is None or run['render_images_per_s'] > best['render_images_per_s']:
                best = run
        results[workers] = best
        print(f'  {workers} worker(s): {best["images"]} images, '
              f'{best["render_images_per_s"]:.0f} images/s rendering, '
              f'{best["total_images_per_s"]:.0f} images/s overall ({best["total_s"]:.2f} s), '
              f'{best["images_per_cpu_s"]:.0f} images per CPU-second (all processes)')
    print(json.dumps(dict(
        benchmark='synthcars_generation', image_size=args.image_size,
        images=next(iter(results.values()))['images'],
        render_images_per_s={str(k): round(v['render_images_per_s'], 1)
                             for k, v in results.items()},
        total_images_per_s={str(k): round(v['total_images_per_s'], 1)
                            for k, v in results.items()},
        total_s={str(k): round(v['total_s'], 3) for k, v in results.items()},
        images_per_cpu_s={str(k): round(v['images_per_cpu_s'], 1) for k, v in results.items()},
        cpu_count=os.cpu_count(), load_average_before=round(load, 2))))


if __name__ == '__main__':
    main()
