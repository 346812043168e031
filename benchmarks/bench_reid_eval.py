"""Re-ID evaluation speed and memory (issue 8 targets).

1. VeRi-776's shape (1,678 queries x 11,579 gallery, 256-d, 200 ids, 20 cameras): the
   project's ``evaluate_rank`` against the classic per-query Python loop (the fallback of
   fast-reid's ``eval_reid.py`` / torchreid's ``eval_market1501``, written out below) on the
   same float32 distance matrix, in one run; results must agree to 1e-9; target >= 20x.
2. VERI-Wild Large's shape (10,000 queries x 128,517 gallery, 256-d, 10,000 ids, 174
   cameras): ``evaluate_rank_features`` (blocked distances + ranking) in a fresh spawned
   process; wall time (target < 60 s) and peak memory (target < 2 GB). Memory is the child
   process's peak RSS from ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (the whole process:
   Python, torch, the 140 MB of features and the evaluation); its growth over the RSS just
   before the evaluation is printed too (an upper bound of what the evaluation adds).

Features are id centres plus noise (seeded), so the metrics are not trivially zero.

Usage::

    python benchmarks/bench_reid_eval.py            # full shapes (the Large run takes ~1 min)
    python benchmarks/bench_reid_eval.py --quick    # 1/4 VeRi, 1/10 VERI-Wild Large
"""
import argparse
import json
import multiprocessing as mp
import os
import resource
import time

import numpy as np
import torch

from eianet_mm.evaluation import evaluate_rank, evaluate_rank_features, pairwise_distance
from machine import cpu_name  # benchmarks/machine.py (the script's folder)


def classic_eval(distmat, q_pids, g_pids, q_camids, g_camids, max_rank=50):
    """fast-reid / torchreid's Python evaluation loop, one query at a time.

    Two changes, both needed for a like-for-like comparison: the argsort is stable (the tie
    rule of ``evaluate_rank``; the originals use the default quicksort), and CMC is kept in
    float64 (the originals cast to float32).
    """
    num_q, num_g = distmat.shape
    if num_g < max_rank:
        max_rank = num_g
    indices = np.argsort(distmat, axis=1, kind='stable')
    matches = (g_pids[indices] == q_pids[:, np.newaxis]).astype(np.int32)
    all_cmc, all_ap, all_inp = [], [], []
    num_valid_q = 0.
    for q_idx in range(num_q):
        q_pid, q_camid = q_pids[q_idx], q_camids[q_idx]
        order = indices[q_idx]
        remove = (g_pids[order] == q_pid) & (g_camids[order] == q_camid)
        keep = np.invert(remove)
        raw_cmc = matches[q_idx][keep]
        if not np.any(raw_cmc):
            continue
        cmc = raw_cmc.cumsum()
        pos_idx = np.where(raw_cmc == 1)
        max_pos_idx = np.max(pos_idx)
        all_inp.append(cmc[max_pos_idx] / (max_pos_idx + 1.0))
        cmc[cmc > 1] = 1
        all_cmc.append(cmc[:max_rank])
        num_valid_q += 1.
        num_rel = raw_cmc.sum()
        tmp_cmc = raw_cmc.cumsum()
        tmp_cmc = [x / (i + 1.) for i, x in enumerate(tmp_cmc)]
        tmp_cmc = np.asarray(tmp_cmc) * raw_cmc
        all_ap.append(tmp_cmc.sum() / num_rel)
    assert num_valid_q > 0, 'all query identities do not appear in gallery'
    all_cmc = np.asarray(all_cmc, dtype=np.float64).sum(0) / num_valid_q
    return all_cmc, float(np.mean(all_ap)), float(np.mean(all_inp))


def make_split(num_q, num_g, num_ids, num_cams, dim, seed, one_query_per_id):
    """Seeded ids, cameras and float32 features (id centre + noise)."""
    rng = np.random.default_rng(seed)
    if one_query_per_id:  # VERI-Wild: one query per id, every id in the gallery
        q_pids = np.arange(num_q) % num_ids
        g_pids = np.r_[np.arange(num_ids), rng.integers(0, num_ids, num_g - num_ids)]
        g_pids = rng.permutation(g_pids)
    else:
        q_pids = rng.integers(0, num_ids, num_q)
        g_pids = rng.integers(0, num_ids, num_g)
    q_camids = rng.integers(1, num_cams + 1, num_q)
    g_camids = rng.integers(1, num_cams + 1, num_g)
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_ids, dim, generator=gen)
    q = torch.randn(num_q, dim, generator=gen).mul_(2.0).add_(centres[q_pids])
    g = torch.randn(num_g, dim, generator=gen).mul_(2.0).add_(centres[g_pids])
    return q, g, q_pids, g_pids, q_camids, g_camids


def rss_mb():
    """Current resident set size in MB (Linux ``/proc/self/status``)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def bench_veri(shape, seed, max_rank):
    num_q, num_g, num_ids, num_cams = shape
    q, g, q_pids, g_pids, q_camids, g_camids = make_split(num_q, num_g, num_ids, num_cams, 256,
                                                          seed, False)
    distmat = pairwise_distance(q, g).numpy()  # float32, the same matrix for both

    # Warm-up on a small slice (first-call costs of torch and numpy), not timed.
    evaluate_rank(distmat[:8], q_pids[:8], g_pids, q_camids[:8], g_camids, max_rank=max_rank)
    classic_eval(distmat[:8], q_pids[:8], g_pids, q_camids[:8], g_camids, max_rank=max_rank)

    def timed(fn, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        return out, time.perf_counter() - t0

    # The machine may be shared: our evaluator is timed before, between and after the slow
    # runs and the median is kept; the classic loop, which takes a minute, runs once.
    ours, t1 = timed(evaluate_rank, distmat, q_pids, g_pids, q_camids, g_camids, max_rank)
    classic, t_classic = timed(classic_eval, distmat, q_pids, g_pids, q_camids, g_camids,
                               max_rank)
    _, t2 = timed(evaluate_rank, distmat, q_pids, g_pids, q_camids, g_camids, max_rank)
    feat_res, t_feats = timed(evaluate_rank_features, q, g, q_pids, g_pids, q_camids,
                              g_camids, max_rank=max_rank)
    _, t3 = timed(evaluate_rank, distmat, q_pids, g_pids, q_camids, g_camids, max_rank)
    t_ours = float(np.median([t1, t2, t3]))

    diff = max(float(np.abs(ours[0] - classic[0]).max()), abs(ours[1] - classic[1]),
               abs(ours[2] - classic[2]))
    diff_feats = max(float(np.abs(ours[0] - feat_res[0]).max()), abs(ours[1] - feat_res[1]),
                     abs(ours[2] - feat_res[2]))
    assert diff <= 1e-9, f'evaluate_rank and the classic loop differ by {diff}'
    assert diff_feats <= 1e-9, f'evaluate_rank_features differs by {diff_feats}'
    return dict(
        shape=[num_q, num_g], ids=num_ids, cameras=num_cams, classic_s=round(t_classic, 3),
        evaluate_rank_s=round(t_ours, 3), evaluate_rank_runs_s=[round(t, 3) for t in (t1, t2, t3)],
        evaluate_rank_features_s=round(t_feats, 3),
        speedup=round(t_classic / t_ours, 1), max_abs_diff=diff, R1=float(ours[0][0]),
        mAP=ours[1], mINP=ours[2])


def _large_child(shape, seed, max_rank, block_size, device, queue):
    torch.set_num_threads(queue.get())
    num_q, num_g, num_ids, num_cams = shape
    q, g, q_pids, g_pids, q_camids, g_camids = make_split(num_q, num_g, num_ids, num_cams, 256,
                                                          seed, True)
    q, g = q.to(device), g.to(device)
    rss_before = rss_mb()
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    cmc, m_ap, m_inp = evaluate_rank_features(q, g, q_pids, g_pids, q_camids, g_camids,
                                              max_rank=max_rank, block_size=block_size)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    out = dict(shape=[num_q, num_g], ids=num_ids, cameras=num_cams, block_size=block_size,
               device=device, seconds=round(seconds, 2), cpu_seconds=round(cpu_seconds, 1),
               load_avg_1min=[round(load_before, 2), round(os.getloadavg()[0], 2)],
               peak_rss_mb=round(peak, 1),
               rss_before_eval_mb=round(rss_before, 1),
               eval_growth_mb=round(peak - rss_before, 1), R1=float(cmc[0]), mAP=m_ap,
               mINP=m_inp)
    if device.startswith('cuda'):
        out['cuda_peak_mb'] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    queue.put(out)


def bench_large(shape, seed, max_rank, block_size, device):
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    queue.put(torch.get_num_threads())
    proc = ctx.Process(target=_large_child,
                       args=(shape, seed, max_rank, block_size, device, queue))
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f'the VERI-Wild-shaped run failed (exit code {proc.exitcode})')
    return queue.get()



def report_veri(veri):
    print(f"VeRi-776 shape {veri['shape']}: classic loop {veri['classic_s']:.3f} s, "
          f"evaluate_rank {veri['evaluate_rank_s']:.3f} s (median of "
          f"{veri['evaluate_rank_runs_s']}) -> {veri['speedup']:.1f}x "
          f"(target >= 20x); evaluate_rank_features (with distances) "
          f"{veri['evaluate_rank_features_s']:.3f} s; max |diff| {veri['max_abs_diff']:.1e}; "
          f"R1 {veri['R1']:.4f} mAP {veri['mAP']:.4f} mINP {veri['mINP']:.4f}")


def report_large(large):
    print(f"VERI-Wild Large shape {large['shape']} on {large['device']}: "
          f"{large['seconds']:.1f} s wall (target < 60 s), {large['cpu_seconds']:.1f} s CPU, "
          f"1-min load average {large['load_avg_1min']}; "
          f"peak RSS {large['peak_rss_mb']:.0f} MB "
          f"(target < 2048 MB; {large['rss_before_eval_mb']:.0f} MB before the evaluation, "
          f"+{large['eval_growth_mb']:.0f} MB); R1 {large['R1']:.4f} mAP {large['mAP']:.4f} "
          f"mINP {large['mINP']:.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='smaller shapes')
    parser.add_argument('--part', choices=('all', 'veri', 'large'), default='all',
                        help='which shapes to run')
    parser.add_argument('--block-size', type=int, default=256, help='queries per block')
    parser.add_argument('--device', default='cpu', help="device of the Large run ('cuda')")
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()

    veri_shape = (420, 2895, 50, 20) if args.quick else (1678, 11579, 200, 20)
    large_shape = (1000, 12852, 1000, 174) if args.quick else (10000, 128517, 10000, 174)
    print(f'machine: {cpu_name()}, {os.cpu_count()} CPUs, torch threads '
          f'{torch.get_num_threads()}, torch {torch.__version__}')

    result = dict(bench='reid_eval', quick=args.quick, machine=cpu_name(),
                  cpus=os.cpu_count(), torch_threads=torch.get_num_threads(), targets={})
    if args.part in ('all', 'veri'):
        veri = bench_veri(veri_shape, args.seed, 50)
        report_veri(veri)
        result['veri'] = veri
        result['targets']['speedup_ge_20'] = veri['speedup'] >= 20
    if args.part in ('all', 'large'):
        large = bench_large(large_shape, args.seed, 50, args.block_size, args.device)
        report_large(large)
        result['large'] = large
        result['targets'].update(
            large_under_60s=large['seconds'] < 60, large_under_2gb=large['peak_rss_mb'] < 2048)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
