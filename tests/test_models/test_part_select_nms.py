"""PartRPNHead 'nms' part selection: vectorised, equal to running mmcv's per-part NMS."""
import pytest
import torch
from mmcv.ops import batched_nms
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope

from mmdet.registry import MODELS

NUM_PARTS = 3
META = dict(img_shape=(64, 64), pad_shape=(64, 64), scale_factor=(1.0, 1.0))


def make_head(**test_cfg):
    init_default_scope('mmdet')
    torch.manual_seed(0)
    cfg = dict(part_select='nms', score_thr=0.5, nms_pre=40,
               nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=-1)
    cfg.update(test_cfg)
    return MODELS.build(dict(
        type='PartRPNHead', in_channels=6, num_classes=NUM_PARTS, feat_channels=5,
        anchor_generator=dict(type='AnchorGenerator', scales=[1, 2, 4],
                              ratios=[0.5, 1.0, 2.0], strides=[8]),
        test_cfg=ConfigDict(cfg)))


def random_outputs(head, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for conv in (head.rpn_conv, head.rpn_cls, head.rpn_reg):
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * 0.5)
        return head.forward_single(torch.rand(3, 6, 8, 8, generator=gen))


def nms_reference(head, cls_score, bbox_pred, metas, cfg):
    """The selection by mmcv's batched_nms, image by image: per part the nms_pre best
    anchors, decoded, clipped, size-filtered; the first box NMS keeps of each part."""
    scores, deltas, priors = head._flat_outputs([cls_score], [bbox_pred])
    num_cand = scores.size(1) if cfg.nms_pre <= 0 else min(cfg.nms_pre, scores.size(1))
    out = []
    for img_scores, img_deltas, meta in zip(scores, deltas, metas):
        top_scores, top_idx = img_scores.t().topk(num_cand, dim=1)
        idx = top_idx.reshape(-1)
        boxes = head._clip(head.bbox_coder.decode(priors[idx], img_deltas[idx])[None],
                           [meta])[0]
        cand = top_scores.reshape(-1)
        labels = torch.arange(NUM_PARTS).repeat_interleave(num_cand)
        if cfg.min_bbox_size >= 0:
            keep = ((boxes[:, 2:] - boxes[:, :2]) > cfg.min_bbox_size).all(dim=1)
            boxes, cand, labels = boxes[keep], cand[keep], labels[keep]
        rows = []
        for part in range(NUM_PARTS):
            if not (labels == part).any():
                rows.append((torch.zeros(4), top_scores[part, 0], False))
                continue
            dets, kept = batched_nms(boxes, cand, labels, cfg.nms)
            first = int((labels[kept] == part).nonzero()[0])
            rows.append((boxes[kept[first]], dets[first, -1], True))
        out.append(rows)
    return out


@pytest.mark.parametrize('min_bbox_size,nms_pre', [(-1, 40), (0, 40), (12, 40), (12, -1),
                                                   (30, 3)])
def test_nms_selection_equals_mmcv_nms(min_bbox_size, nms_pre):
    head = make_head(min_bbox_size=min_bbox_size, nms_pre=nms_pre)
    metas = [META, dict(META, img_shape=(40, 24)), META]
    found_any = missed_any = False
    for seed in range(3):
        cls_score, bbox_pred = random_outputs(head, seed)
        boxes, scores, _ = head.select_parts([cls_score], [bbox_pred], metas,
                                             ConfigDict(head.test_cfg, score_thr=0.0))
        reference = nms_reference(head, cls_score, bbox_pred, metas, head.test_cfg)
        for img, rows in enumerate(reference):
            for part, (box, score, found) in enumerate(rows):
                assert torch.equal(boxes[img, part], box)
                assert torch.equal(scores[img, part], score)
                found_any |= found
                missed_any |= not found
    assert found_any
    if min_bbox_size == 30:
        assert missed_any  # parts left without a candidate: zero box, best raw score


def test_ties_take_the_lowest_anchor_index_and_the_cut_keeps_them():
    head = make_head(min_bbox_size=20, nms_pre=1)
    with torch.no_grad():
        cls_score = torch.zeros(1, 9 * NUM_PARTS, 8, 8)  # every anchor scores 0.5
        bbox_pred = torch.zeros(1, 9 * 4, 8, 8)
    boxes, scores, detected = head.select_parts([cls_score], [bbox_pred], [META])
    _, deltas, priors = head._flat_outputs([cls_score], [bbox_pred])
    clipped = head._clip(head.bbox_coder.decode(priors, deltas[0])[None], [META])[0]
    first_big = int(((clipped[:, 2:] - clipped[:, :2]) > 20).all(dim=1).nonzero()[0])
    assert first_big > 0  # the first anchors are clipped below 20 pixels
    assert detected.all() and torch.equal(scores, torch.full((1, NUM_PARTS), 0.5))
    assert torch.equal(boxes[0], clipped[first_big].expand(NUM_PARTS, 4))
