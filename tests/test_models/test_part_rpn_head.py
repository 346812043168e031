"""PartRPNHead: RPN losses on part boxes, one box per part at test time, missed parts."""
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmdet.registry import MODELS

NUM_PARTS = 3
TEST_CFG = dict(part_select='nms', score_thr=0.5, nms_pre=40,
                nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=-1)
TRAIN_CFG = dict(
    assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.3, min_pos_iou=0.1,
                  match_low_quality=True, ignore_iof_thr=-1),
    sampler=dict(type='RandomSampler', num=64, pos_fraction=0.5, neg_pos_ub=-1,
                 add_gt_as_proposals=False),
    allowed_border=-1, pos_weight=-1, debug=False)
META = dict(img_shape=(64, 64), pad_shape=(64, 64), scale_factor=(1.0, 1.0))


def make_head(**kwargs):
    init_default_scope('mmdet')
    cfg = dict(type='PartRPNHead', in_channels=6, num_classes=NUM_PARTS, feat_channels=5,
               anchor_generator=dict(type='AnchorGenerator', scales=[1, 2, 4],
                                     ratios=[0.5, 1.0, 2.0], strides=[8]),
               loss_bbox=dict(type='L1Loss', loss_weight=1.0),
               train_cfg=ConfigDict(TRAIN_CFG), test_cfg=ConfigDict(TEST_CFG))
    cfg.update(kwargs)
    torch.manual_seed(0)
    head = MODELS.build(cfg)
    head.init_weights()
    return head


def scored_outputs(head, bias, seed=0, num_imgs=2):
    """Head outputs on random features whose scores vary between anchors; ``bias`` is the
    per-part logit offset."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        head.rpn_cls.weight.copy_(torch.randn(head.rpn_cls.weight.shape, generator=gen))
        head.rpn_cls.bias.copy_(torch.tensor(bias).repeat(head.num_base_priors))
        head.rpn_reg.weight.copy_(torch.randn(head.rpn_reg.weight.shape, generator=gen) * 0.1)
        x = torch.rand(num_imgs, 6, 8, 8, generator=gen)
        return head.forward_from_conv(head.conv_features(x))


def reference_best_boxes(head, cls_score, bbox_pred, meta):
    """Per image and part: decode every anchor, take the highest score (direct loop)."""
    priors = head.prior_generator.grid_priors([cls_score.shape[-2:]], device='cpu')[0]
    out = []
    for img in range(cls_score.size(0)):
        scores = cls_score[img].permute(1, 2, 0).reshape(-1, NUM_PARTS).sigmoid()
        deltas = bbox_pred[img].permute(1, 2, 0).reshape(-1, 4)
        boxes = head.bbox_coder.decode(priors, deltas, max_shape=meta['img_shape'])
        rows = []
        for part in range(NUM_PARTS):
            best = int(scores[:, part].argmax())
            rows.append((boxes[best], scores[best, part]))
        out.append(rows)
    return out


def test_losses_with_empty_and_one_box_gt():
    head = make_head()
    x = (torch.rand(2, 6, 8, 8), )
    empty = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    one = InstanceData(bboxes=torch.tensor([[10.0, 12.0, 30.0, 26.0]]),
                       labels=torch.tensor([2]))
    outs = head(x)
    losses = head.loss_by_feat(*outs, [empty, empty], [META, META])
    assert set(losses) == {'loss_rpn_cls', 'loss_rpn_bbox'}
    assert float(sum(losses['loss_rpn_cls']).detach()) > 0
    assert float(sum(losses['loss_rpn_bbox']).detach()) == 0  # no positive anchor
    losses = head.loss_by_feat(*outs, [one, empty], [META, META])
    total = sum(losses['loss_rpn_cls']) + sum(losses['loss_rpn_bbox'])
    assert torch.isfinite(total) and float(sum(losses['loss_rpn_bbox']).detach()) > 0
    total.backward()
    assert head.rpn_cls.weight.grad is not None and head.rpn_conv.weight.grad is not None


def test_part_label_out_of_range():
    head = make_head()
    bad = InstanceData(bboxes=torch.tensor([[1.0, 1.0, 9.0, 9.0]]),
                       labels=torch.tensor([NUM_PARTS]))
    with pytest.raises(ValueError, match=r'part labels must be in 0\.\.2'):
        head.loss_by_feat(*head((torch.rand(1, 6, 8, 8), )), [bad],
                          [dict(META, img_path='a.jpg')])


@pytest.mark.parametrize('mode', ['nms', 'max'])
def test_predict_one_row_per_part_with_missed_parts(mode):
    head = make_head(test_cfg=ConfigDict(TEST_CFG, part_select=mode))
    cls_score, bbox_pred = scored_outputs(head, bias=[3.0, -30.0, 3.0])
    results = head.predict_by_feat([cls_score], [bbox_pred], batch_img_metas=[META, META])
    reference = reference_best_boxes(head, cls_score, bbox_pred, META)
    for img, res in enumerate(results):
        assert len(res) == NUM_PARTS
        assert res.labels.tolist() == [0, 1, 2]
        assert res.detected.tolist() == [True, False, True]
        for part in (0, 2):
            box, score = reference[img][part]
            assert torch.allclose(res.bboxes[part], box, atol=1e-4)
            assert torch.isclose(res.scores[part], score)
        assert torch.equal(res.bboxes[1], torch.zeros(4))  # missed: zero box
        assert 0 < float(res.scores[1]) < 1e-6  # ... and its best score


def test_nms_and_max_select_the_same_boxes():
    head = make_head()
    cls_score, bbox_pred = scored_outputs(head, bias=[0.0, 0.5, -0.5], seed=3, num_imgs=3)
    metas = [META] * 3
    by_nms = head.select_parts([cls_score], [bbox_pred], metas,
                               ConfigDict(TEST_CFG, part_select='nms'))
    by_max = head.select_parts([cls_score], [bbox_pred], metas,
                               ConfigDict(TEST_CFG, part_select='max'))
    for a, b in zip(by_nms, by_max):
        assert torch.allclose(a.float(), b.float(), atol=1e-4)
    assert by_nms[2].any() and not by_nms[2].all()  # the 0.5 threshold splits the parts


def test_size_filter_can_leave_a_part_without_box():
    head = make_head(test_cfg=ConfigDict(TEST_CFG, min_bbox_size=1000))
    cls_score, bbox_pred = scored_outputs(head, bias=[5.0, 5.0, 5.0])
    boxes, scores, detected = head.select_parts([cls_score], [bbox_pred], [META, META])
    assert not detected.any() and torch.equal(boxes, torch.zeros(2, NUM_PARTS, 4))
    assert (scores > 0.5).all()  # the best raw score is still reported


def test_rescale_to_original_pixels():
    head = make_head()
    cls_score, bbox_pred = scored_outputs(head, bias=[3.0, 3.0, 3.0], num_imgs=1)
    meta = dict(META, scale_factor=(0.5, 0.25))
    plain = head.predict_by_feat([cls_score], [bbox_pred], batch_img_metas=[meta])[0]
    scaled = head.predict_by_feat([cls_score], [bbox_pred], batch_img_metas=[meta],
                                  rescale=True)[0]
    assert torch.allclose(scaled.bboxes, plain.bboxes / torch.tensor([0.5, 0.25, 0.5, 0.25]))


def test_boxes_clipped_to_image_shape():
    head = make_head(test_cfg=ConfigDict(TEST_CFG, part_select='max'))
    cls_score, bbox_pred = scored_outputs(head, bias=[3.0, 3.0, 3.0], num_imgs=2)
    metas = [dict(META, img_shape=(40, 24)), META]
    boxes, _, _ = head.select_parts([cls_score], [bbox_pred], metas)
    assert (boxes[0, :, 0::2] <= 24).all() and (boxes[0, :, 1::2] <= 40).all()
    assert (boxes >= 0).all()


def test_default_anchors_are_faster_rcnn_3x3_at_stride_16():
    init_default_scope('mmdet')
    head = MODELS.build(dict(type='PartRPNHead', in_channels=4))
    assert head.num_classes == 7 and head.num_base_priors == 9 and head.stride == (16.0, 16.0)
    assert head.rpn_cls.out_channels == 9 * 7


def test_conv_features_are_the_relu_rpn_conv():
    head = make_head()
    x = torch.randn(1, 6, 8, 8)
    feat = head.conv_features(x)
    assert feat.shape == (1, 5, 8, 8) and (feat >= 0).all()
    assert torch.equal(feat, torch.relu(head.rpn_conv(x)))
    assert head.stride == (8.0, 8.0)


def test_bad_configs():
    with pytest.raises(ValueError, match='one stride'):
        make_head(anchor_generator=dict(type='AnchorGenerator', scales=[8], ratios=[1.0],
                                        strides=[8, 16]))
    with pytest.raises(ValueError, match='part_select'):
        make_head(test_cfg=ConfigDict(TEST_CFG, part_select='mean'))
