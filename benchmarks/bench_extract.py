"""Embedding extraction speed: the full EIA-Net against its backbone with global average pooling.

For each config, one batch of random ``uint8`` images at the config's test input size goes
through, in one run, with alternated repetitions (the order rotates every repetition, so
machine noise hits every variant alike):

- ``eianet``: the model as configured, through ``model.test_step`` (data preprocessor +
  ``predict``: backbone, part RPN and part selection, R-MAC, Part-based CNN, metric head),
  the call ``eianet_mm.apis.extract`` makes per batch. The VGG16 and ResNet-50 stage-2
  configs detect the parts on the backbone that the R-MAC pools
  (``test_cfg.part_detector='shared'``, trained with ``loss_part_distill``): one backbone
  pass per image; the SynthCars config lets the frozen copy of the stage-1 backbone
  (``freeze_part_detector``) detect them (``'copy'``): a second backbone pass;
- ``eianet_shared`` or ``eianet_copy``: the same model with the other test-time detector
  (for a model with a frozen copy);
- ``gap``: the data preprocessor, the same backbone (that of ``eianet``, in its precision:
  ``autocast_dtype``) and global average pooling of the same feature map.

The multiply-accumulates (MACs) of every convolution and fully-connected layer a variant calls
are counted once per image (forward hooks, not timed): their ratio is the overhead the heads
would have if every operation ran as fast per MAC as the backbone's.

Images/s come from the median batch time of each variant; the overhead is the median over
repetitions of the per-repetition time ratio (variant / gap), measured side by side, in wall
time and in process CPU time (which time spent waiting for a core on a shared machine does not
inflate). Target: EIA-Net within 1.3x of the GAP backbone. Weights are random
(``init_model`` without a checkpoint): no computation depends on their values. Prints one
final JSON line.

Usage::

    python benchmarks/bench_extract.py            # SynthCars r18 (128) and VGG16 (224), ~2 min
    python benchmarks/bench_extract.py --quick    # small batches, seconds
    python benchmarks/bench_extract.py --threads 1    # one torch thread
    python benchmarks/bench_extract.py --configs configs/eianet_vgg16_compcars.py \\
        --batch-size 16 --repeat 5 --profile      # + the top operators of one EIA-Net batch
"""
import argparse
import json
import os
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction

from mmdet.structures import DetDataSample
from eianet_mm.apis import init_model
from eianet_mm.apis.inference import load_config
from machine import cpu_name  # benchmarks/machine.py (the script's folder)

CONFIGS = ('configs/eianet_r18_synthcars.py', 'configs/eianet_vgg16_compcars.py')
# (default, --quick) batch size and repetitions per config; others use the generic values
RUNS = {
    'configs/eianet_r18_synthcars.py': dict(batch=(32, 8), repeat=(15, 3)),
    'configs/eianet_vgg16_compcars.py': dict(batch=(8, 2), repeat=(5, 2)),
}
GENERIC_RUNS = dict(batch=(8, 2), repeat=(5, 2))
TARGET = 1.3



def test_input_size(cfg: Config) -> Tuple[int, int]:
    """``(h, w)`` of the test pipeline's ``Resize`` (the network input size)."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if str(step.get('type', '')).split('.')[-1] == 'Resize' and 'scale' in step:
            w, h = step['scale']
            return int(h), int(w)
    raise ValueError('the test pipeline has no Resize with a fixed scale')


def make_batch(size: Tuple[int, int], batch: int, seed: int) -> dict:
    """What the test pipeline + ``pseudo_collate`` hand ``test_step``: uint8 images and
    their metas (the image fills the input: no padding, scale 1)."""
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    inputs = [torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=gen)
              for _ in range(batch)]
    metas = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), scale_factor=(1., 1.))
    return dict(inputs=inputs, data_samples=[DetDataSample(metainfo=dict(metas))
                                             for _ in range(batch)])


def fresh(data: dict) -> dict:
    """A copy of the batch with new data samples (``predict`` writes into them)."""
    return dict(inputs=data['inputs'],
                data_samples=[DetDataSample(metainfo=s.metainfo) for s in data['data_samples']])


def gap_forward(model: torch.nn.Module) -> Callable[[dict], torch.Tensor]:
    """Data preprocessor + the model's backbone (and neck) + global average pooling, in the
    model's precision (its ``autocast_dtype``, as EIA-Net's backbone pass)."""

    def run(data: dict) -> torch.Tensor:
        inputs = model.data_preprocessor(data, False)['inputs']
        with model.autocast(inputs):
            feat = model.extract_feat(inputs)
        return F.adaptive_avg_pool2d(feat.float(), 1).flatten(1)

    return run


def count_macs(model: torch.nn.Module, call: Callable[[], object]) -> int:
    """Multiply-accumulates of the ``Conv2d`` / ``Linear`` layers of ``model`` that ``call()``
    executes (each layer call counted; layers not called add nothing)."""
    total = 0

    def hook(module: torch.nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, torch.nn.Conv2d):
            kh, kw = module.kernel_size
            total += output.numel() * (module.in_channels // module.groups) * kh * kw
        else:
            total += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    try:
        with torch.no_grad():
            call()
    finally:
        for handle in handles:
            handle.remove()
    return total


def bench_config(config: str, batch: int, repeat: int, seed: int, device: str,
                 profile: bool, cfg_options: Optional[dict] = None) -> dict:
    cfg = load_config(config, cfg_options)
    cfg.model.backbone.init_cfg = None  # no pretrained download; weights stay random
    size = test_input_size(cfg)
    models = dict(eianet=init_model(cfg, device=device))
    detector = models['eianet'].test_part_detector
    if models['eianet'].part_backbone is not None:
        other = 'shared' if detector == 'copy' else 'copy'
        models[f'eianet_{other}'] = init_model(
            cfg, device=device, cfg_options={'model.test_cfg.part_detector': other})
    data = make_batch(size, batch, seed)
    runs: Dict[str, Callable[[dict], object]] = {
        name: model.test_step for name, model in models.items()}
    runs['gap'] = gap_forward(models['eianet'])
    names = list(runs)
    times: Dict[str, List[float]] = {name: [] for name in names}
    cpu_times: Dict[str, List[float]] = {name: [] for name in names}

    def sync() -> None:
        if device.startswith('cuda'):
            torch.cuda.synchronize()

    # one untimed call per variant counts its MACs and doubles as the warm-up (first-call costs)
    macs = {name: count_macs(models['eianet' if name == 'gap' else name],
                             lambda: runs[name](fresh(data))) for name in names}
    sync()
    with torch.no_grad():
        for rep in range(repeat):
            for name in names[rep % len(names):] + names[:rep % len(names)]:
                batch_data = fresh(data)
                t0, c0 = time.perf_counter(), time.process_time()
                runs[name](batch_data)
                sync()
                times[name].append(time.perf_counter() - t0)
                cpu_times[name].append(time.process_time() - c0)
        table = None
        if profile:
            from torch.profiler import profile as torch_profile
            with torch_profile() as prof:
                runs['eianet'](fresh(data))
            table = prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=15)

    def paired_ratio(series: Dict[str, List[float]], name: str) -> float:
        return statistics.median(a / b for a, b in zip(series[name], series['gap']))

    median = {name: statistics.median(t) for name, t in times.items()}
    cpu_median = {name: statistics.median(t) for name, t in cpu_times.items()}
    out = dict(config=config, input_size=list(size), batch=batch, repeat=repeat,
               part_detector=detector,
               images_per_s={n: round(batch / t, 2) for n, t in median.items()},
               images_per_cpu_s={n: round(batch / t, 2) for n, t in cpu_median.items()},
               median_batch_s={n: round(t, 4) for n, t in median.items()},
               min_batch_s={n: round(min(t), 4) for n, t in times.items()},
               macs_per_image={n: round(m / batch) for n, m in macs.items()},
               mac_ratio={n: round(m / macs['gap'], 3) for n, m in macs.items() if n != 'gap'})
    for name in models:
        key = 'overhead' + name[len('eianet'):]
        out[key] = round(paired_ratio(times, name), 3)
        out[key + '_cpu'] = round(paired_ratio(cpu_times, name), 3)
    print(f'{config}: {size[0]}x{size[1]}, batch {batch}, {repeat} alternated repetitions')
    for name in names:
        print(f'  {name:14s} {batch / median[name]:8.2f} images/s  {batch / cpu_median[name]:8.2f} '
              f'images/CPU-s  (median batch {median[name]:.3f} s, min {min(times[name]):.3f} s)')
    passes = {'shared': 'one backbone pass', 'copy': 'two backbone passes'}
    overheads = []
    for name in models:
        key = 'overhead' + name[len('eianet'):]
        note = (f'{passes[detector]}; target <= {TARGET}x' if name == 'eianet' else
                passes[name[len('eianet_'):]])
        overheads.append(f'{name} {out[key]:.2f}x / {out[key + "_cpu"]:.2f}x ({note})')
    print('  overhead vs GAP backbone (wall / CPU time): ' + '; '.join(overheads))
    print(f'  multiply-accumulates per image: ' + ', '.join(
        f'{n} {m / batch / 1e6:.1f} M' for n, m in macs.items()) + f' (eianet / gap '
          f'{out["mac_ratio"]["eianet"]:.3f}x)')
    if table is not None:
        print(table)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='small batches, few repetitions')
    parser.add_argument('--configs', nargs='+', default=list(CONFIGS),
                        help='EIA-Net configs (default: the SynthCars and VGG16 ones)')
    parser.add_argument('--batch-size', type=int, help='override the per-config batch size')
    parser.add_argument('--repeat', type=int, help='override the per-config repetitions')
    parser.add_argument('--threads', type=int, help='torch threads (default: torch\'s)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides for every config, e.g. model.channels_last=True')
    parser.add_argument('--profile', action='store_true',
                        help='print the top operators of one EIA-Net batch (torch.profiler)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'machine: {cpu_name()}, {os.cpu_count()} CPUs, torch threads '
          f'{torch.get_num_threads()}, torch {torch.__version__}, load average '
          f'{os.getloadavg()[0]:.2f}')
    result = dict(bench='extract', quick=args.quick, machine=cpu_name(), cpus=os.cpu_count(),
                  torch_threads=torch.get_num_threads(), torch=torch.__version__,
                  device=args.device, cfg_options=args.cfg_options, configs={}, targets={})
    for config in args.configs:
        runs = RUNS.get(config, GENERIC_RUNS)
        batch = args.batch_size or runs['batch'][args.quick]
        repeat = args.repeat or runs['repeat'][args.quick]
        out = bench_config(config, batch, repeat, args.seed, args.device, args.profile,
                           args.cfg_options)
        name = os.path.splitext(os.path.basename(config))[0]
        result['configs'][name] = out
        result['targets'][f'{name}_within_{TARGET}x'] = out['overhead'] <= TARGET
    result['load_average_after'] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
