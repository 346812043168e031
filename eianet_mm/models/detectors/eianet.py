"""EIA-Net: backbone -> part RPN -> CR-MAC (R-MAC + Part-based CNN) -> metric head."""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import OptSampleList, SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig

from ...evaluation.functional.distance import check_metric_layout

STAGES = ('part_rpn', 'metric')
#: Test-time part detectors (``test_cfg.part_detector``).
PART_DETECTORS = ('copy', 'shared')
#: Mixed-precision dtypes of the feature computations (``autocast_dtype``; None: float32).
#: bfloat16 only: it needs no loss scaling.
AUTOCAST_DTYPES = (None, 'bfloat16')


def _drop_untrained_stage2_modules(module: 'EIANet', state_dict: dict, prefix: str,
                                   local_metadata: dict) -> None:
    """State-dict hook of stage 1: leave out the modules it never trains (``frozen_modules``),
    so that loading a stage-1 checkpoint cannot overwrite stage 2's initialisation."""
    untrained = tuple(f'{prefix}{name}.' for name in module.frozen_modules)
    for key in [k for k in state_dict if k.startswith(untrained)]:
        del state_dict[key]


@MODELS.register_module()
class EIANet(BaseDetector):
    """EIA-Net (Seeing Crucial Parts) as an mmdet detector.

    The backbone (any mmdet backbone; optionally an mmdet neck) gives feature maps, of which
    the one at ``feat_index`` feeds both the part RPN and the global branch. The RPN's shared
    conv features (K channels) are max-pooled inside each detected part box (R-MAC, N_part x
    K); the global branch (the Part-based CNN, C features) runs on the backbone map; the
    metric head concatenates them into the CR-MAC embedding (K*N_part + C) and applies the
    losses.

    Stages (``stage``):

    - ``'part_rpn'``: stage 1, ``loss`` gives the RPN losses on the part boxes of
      ``gt_instances``; the global branch, part projection and metric head, when built, are
      frozen and left out of the state dict (and so of stage-1 checkpoints): stage 2 starts
      them from its own ``init_cfg`` instead of loading stage 1's untrained copies.
    - ``'metric'``: stage 2, the RPN head is frozen (``requires_grad=False``, kept in eval
      mode by :meth:`train`), its part boxes are predicted under ``no_grad``; the rest trains
      with the metric losses. Gradients still reach the backbone through the frozen RPN
      convolution that the R-MAC pools. With ``freeze_part_detector`` (default) the boxes
      come from the whole stage-1 part detector: a frozen copy of the backbone (and neck)
      feeds the frozen RPN head, so fine-tuning the backbone cannot degrade the detection
      (with the shared backbone, SynthCars' detected-part rate fell from 0.5 to 0 within
      100 iterations). The copy starts from the ``backbone`` / ``neck`` weights of a
      checkpoint that has no ``part_backbone`` / ``part_neck`` (a stage-1 checkpoint).
      With ``finetune_rmac_conv`` the R-MAC pools a trainable copy of the RPN convolution
      (``rmac_conv``, started from the RPN's weights the same way) instead of the frozen one:
      the frozen RPN still finds the parts, while the features that describe them are
      fine-tuned with the rest. With ``loss_part_distill`` (not in the paper) the frozen RPN
      on the backbone being trained is taught to give the frozen copy's outputs, so that at
      test time ``test_cfg.part_detector='shared'`` can detect the parts from the one
      backbone pass that also describes them (the copy is then needed in training only).

    Variants are configs of this class: ``rpn_head=None, rmac=None`` is a plain network whose
    embedding is the global branch only (Plain DRDL with a ``PartBasedCNN``; the FC-feature
    network with a ``GlobalPoolingFC``); ``global_branch=None`` is RPN + R-MAC only.

    Test config keys: ``rpn`` (the RPN head's test config, see :class:`PartRPNHead`;
    it also selects the parts during stage-2 training), ``flip`` (bool, average the
    embedding of the image and its horizontal flip; default False) and ``part_detector``
    (``'copy'``: the frozen part-detector copy finds the parts, as in training, the default;
    ``'shared'``: the backbone being described finds them, one backbone pass per image; for
    a model trained with ``loss_part_distill``).

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): mmdet neck config applied to the backbone outputs.
            Defaults to None.
        feat_index (int): Index of the (neck or backbone) output map used by the RPN and the
            global branch. Defaults to -1.
        rpn_head (dict, optional): ``PartRPNHead`` config. Defaults to None.
        rmac (dict, optional): ``RMACPooling`` config (needs ``rpn_head``). Defaults to None.
        part_projection (dict, optional): A map of the R-MAC part vectors before the metric
            head (e.g. ``PartProjection``, not in the paper; needs ``rmac``); the detector
            passes ``num_parts`` and ``channels``. Trained in stage ``'metric'``. Defaults to
            None (the paper's raw R-MAC vectors).
        global_branch (dict, optional): ``PartBasedCNN`` or ``GlobalPoolingFC`` config.
            Defaults to None.
        metric_head (dict, optional): ``MetricHead`` config (required for stage
            ``'metric'``). Defaults to None.
        stage (str): ``'part_rpn'`` or ``'metric'``. Defaults to ``'metric'``.
        freeze_part_detector (bool): Stage ``'metric'`` with an RPN: predict the part boxes
            with a frozen copy of the backbone and neck (see above); False predicts them from
            the backbone being trained. Defaults to True.
        finetune_rmac_conv (bool): Stage ``'metric'`` with R-MAC: pool the part features
            from a trainable copy of the RPN convolution (see above). The paper freezes the
            RPN; that this includes the features the R-MAC reads is our reading, so it is the
            default. On SynthCars the trainable copy learns faster early on; with the part
            projection, turning it off cost 0.011 of year-level accuracy on average over two
            seeds (inside the noise), so the SynthCars config keeps it, at one more 3x3
            convolution per image (docs/synthcars_learning.md, sections 6 and 8).
            Defaults to False.
        channels_last (bool): Keep the convolution weights and the images in channels-last
            (NHWC) memory: the same results up to float rounding, faster on CPU (PyTorch's
            NCHW max pooling, e.g. in ResNet's stem, is several times slower there).
            Defaults to False.
        autocast_dtype (str, optional): Run the convolutions of the backbone, the RPN, the
            R-MAC and the global branch under ``torch.autocast`` in this dtype
            (``'bfloat16'``; mixed precision: the weights, their gradients and the optimiser
            stay float32). The RPN outputs are cast to float32 before the part boxes are
            decoded, and the branch features before the metric head, so boxes, distances and
            losses are computed in float32. On a CPU with AVX-512 BF16 a training step is about
            twice as fast (docs/synthcars_learning.md, section 10). Defaults to None (float32
            throughout).
        loss_part_distill (dict, optional): Stage ``'metric'`` with ``freeze_part_detector``:
            a loss (e.g. ``PartDetectorDistillLoss``) between the RPN outputs on the backbone
            being trained and on the frozen copy (see above). Defaults to None.
        train_cfg (dict, optional): ``rpn`` key: assigner/sampler of the RPN (stage 1).
            Defaults to None.
        test_cfg (dict, optional): See above. Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config. Defaults to None.
        init_cfg (dict or list[dict], optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 feat_index: int = -1,
                 rpn_head: OptConfigType = None,
                 rmac: OptConfigType = None,
                 part_projection: OptConfigType = None,
                 global_branch: OptConfigType = None,
                 metric_head: OptConfigType = None,
                 stage: str = 'metric',
                 freeze_part_detector: bool = True,
                 finetune_rmac_conv: bool = False,
                 loss_part_distill: OptConfigType = None,
                 channels_last: bool = False,
                 autocast_dtype: Optional[str] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if stage not in STAGES:
            raise ValueError(f'EIANet stage must be one of {STAGES}, got {stage!r}')
        self.stage = stage
        self.train_cfg = ConfigDict(train_cfg or {})
        self.test_cfg = ConfigDict(test_cfg or {})
        self.feat_index = feat_index
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.rpn_head = None
        if rpn_head is not None:
            rpn_cfg = copy.deepcopy(rpn_head)
            rpn_cfg.update(train_cfg=self.train_cfg.get('rpn'),
                           test_cfg=self.test_cfg.get('rpn'))
            self.rpn_head = MODELS.build(rpn_cfg)
        if rmac is not None and self.rpn_head is None:
            raise ValueError('EIANet: rmac pools the RPN conv features and needs an rpn_head')
        self.rmac = MODELS.build(rmac) if rmac is not None else None
        self.global_branch = MODELS.build(global_branch) if global_branch is not None else None
        self.num_parts = self.rpn_head.num_classes if self.rmac is not None else 0
        self.part_dims = self.rpn_head.feat_channels if self.rmac is not None else 0
        if part_projection is not None and self.rmac is None:
            raise ValueError('EIANet: part_projection maps the R-MAC part vectors and needs '
                             'rmac (with rpn_head)')
        self.part_projection = MODELS.build(
            part_projection, default_args=dict(num_parts=self.num_parts,
                                               channels=self.part_dims)
        ) if part_projection is not None else None
        self.embed_dims = self.num_parts * self.part_dims + (
            self.global_branch.out_channels if self.global_branch is not None else 0)
        self.metric_head = None
        if metric_head is not None:
            self.metric_head = MODELS.build(
                metric_head,
                default_args=dict(embed_dims=self.embed_dims,
                                  rmac_dims=self.num_parts * self.part_dims))
        self._check_components()
        self.part_backbone = self.part_neck = None
        if stage == 'metric' and self.rpn_head is not None and freeze_part_detector:
            self.part_backbone = copy.deepcopy(self.backbone)
            self.part_neck = copy.deepcopy(self.neck)
        self.loss_part_distill = None
        if loss_part_distill is not None:
            if self.part_backbone is None:
                raise ValueError("EIANet: loss_part_distill teaches the backbone the frozen "
                                 "part detector's outputs; it needs stage 'metric', an "
                                 'rpn_head and freeze_part_detector=True')
            self.loss_part_distill = MODELS.build(loss_part_distill)
        part_detector = self.test_cfg.get('part_detector', 'copy')
        if part_detector not in PART_DETECTORS:
            raise ValueError(f'EIANet test_cfg.part_detector must be one of {PART_DETECTORS}, '
                             f'got {part_detector!r}')
        self.rmac_conv = None
        if stage == 'metric' and self.rmac is not None and finetune_rmac_conv:
            self.rmac_conv = copy.deepcopy(self.rpn_head.rpn_conv)
        self.frozen_modules: Tuple[str, ...] = (
            ('rpn_head', 'part_backbone', 'part_neck') if stage == 'metric' else
            ('global_branch', 'part_projection', 'metric_head'))
        for name in self.frozen_modules:
            module = getattr(self, name)
            if module is not None:
                module.requires_grad_(False)
        if stage == 'part_rpn':
            self.register_state_dict_post_hook(_drop_untrained_stage2_modules)
        if autocast_dtype not in AUTOCAST_DTYPES:
            raise ValueError(f'EIANet autocast_dtype must be one of {AUTOCAST_DTYPES}, got '
                             f'{autocast_dtype!r}')
        self.autocast_dtype = autocast_dtype
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    def _to_memory_format(self, batch_inputs: Tensor) -> Tensor:
        """The images in the model's memory format (see ``channels_last``)."""
        if self.channels_last:
            return batch_inputs.contiguous(memory_format=torch.channels_last)
        return batch_inputs

    def autocast(self, batch_inputs: Tensor) -> torch.autocast:
        """The mixed-precision context of the feature computations (see ``autocast_dtype``;
        a disabled context without it)."""
        dtype = getattr(torch, self.autocast_dtype or 'float32')
        return torch.autocast(batch_inputs.device.type, dtype=dtype,
                              enabled=self.autocast_dtype is not None)

    def _check_components(self) -> None:
        """Reject combinations that cannot run."""
        if self.stage == 'part_rpn' and self.rpn_head is None:
            raise ValueError("EIANet stage 'part_rpn' trains the part RPN: set rpn_head")
        if self.stage == 'metric' and self.metric_head is None:
            raise ValueError("EIANet stage 'metric' needs a metric_head")
        if self.metric_head is not None:
            if self.rmac is None and self.global_branch is None:
                raise ValueError('EIANet: the embedding needs rmac (with rpn_head), '
                                 'global_branch or both')
            if self.metric_head.uses_parts and self.rmac is None:
                raise ValueError('EIANet: metric_head.loss_rmac / loss_align need part '
                                 'features; set rpn_head and rmac or disable those losses')
            if self.metric_head.uses_global and self.global_branch is None:
                raise ValueError('EIANet: metric_head.loss_global needs a global_branch; set '
                                 'one or disable loss_global')
            for name in ('loss_rmac', 'loss_embed', 'loss_global'):
                distance = getattr(getattr(self.metric_head, name, None), 'distance',
                                   'euclidean')
                if name == 'loss_global' and distance != 'euclidean':
                    raise ValueError(f'EIANet: metric_head.loss_global compares the global '
                                     f'branch, which has no parts; distance {distance!r} '
                                     "needs them: use 'euclidean'")
                check_metric_layout(distance, self.num_parts, self.part_dims,
                                    f'EIANet metric_head.{name}')

    def train(self, mode: bool = True) -> 'EIANet':
        """Set the training mode; frozen modules stay in eval mode."""
        super().train(mode)
        for name in self.frozen_modules:
            module = getattr(self, name)
            if module is not None:
                module.eval()
        return self

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: List[str],
                              unexpected_keys: List[str], error_msgs: List[str]) -> None:
        """Start the frozen part-detector copy from ``backbone`` / ``neck`` weights, and the
        fine-tuned R-MAC convolution from the RPN's, when the checkpoint has none of its own
        (a stage-1 checkpoint); in stage 1, keep the untrained stage-2 modules that a
        stage-1 checkpoint leaves out."""
        if self.stage == 'part_rpn':
            for name in self.frozen_modules:
                module, own = getattr(self, name), f'{prefix}{name}.'
                if module is not None and not any(k.startswith(own) for k in state_dict):
                    state_dict.update({own + k: v for k, v in module.state_dict().items()})
        for source, copy_name in (('backbone', 'part_backbone'), ('neck', 'part_neck'),
                                  ('rpn_head.rpn_conv', 'rmac_conv')):
            if getattr(self, copy_name) is None:
                continue
            src, dst = f'{prefix}{source}.', f'{prefix}{copy_name}.'
            if not any(k.startswith(dst) for k in state_dict):
                for key in [k for k in state_dict if k.startswith(src)]:
                    state_dict[dst + key[len(src):]] = state_dict[key]
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs)

    def _select_feat(self, x: Union[Tensor, Tuple[Tensor, ...]]) -> Tensor:
        """The map at ``feat_index`` of a backbone / neck output."""
        if isinstance(x, Tensor):
            return x
        if not -len(x) <= self.feat_index < len(x):
            raise IndexError(f'EIANet feat_index={self.feat_index}, but the backbone/neck '
                             f'gives {len(x)} feature maps')
        return x[self.feat_index]

    def extract_feat(self, batch_inputs: Tensor) -> Tensor:
        """The feature map at ``feat_index`` of the backbone (and neck) outputs.

        Args:
            batch_inputs (Tensor): Images ``[B, 3, H, W]``.

        Returns:
            Tensor: ``[B, C, h, w]``.
        """
        x = self.backbone(self._to_memory_format(batch_inputs))
        if self.neck is not None:
            x = self.neck(x)
        return self._select_feat(x)

    def _part_detector_feat(self, batch_inputs: Tensor) -> Tensor:
        """The feature map of the frozen part-detector copy (no gradient)."""
        x = self.part_backbone(self._to_memory_format(batch_inputs))
        if self.part_neck is not None:
            x = self.part_neck(x)
        return self._select_feat(x)

    def _branches(self, batch_inputs: Tensor, batch_img_metas: List[dict],
                  shared_detector: bool = False) -> Dict[str, object]:
        """Part boxes, R-MAC part features and global features of a batch of images, the
        backbone map (``feat``), the detecting RPN outputs (``rpn_outs``) and, when the
        R-MAC pools the RPN convolution, its features on ``feat`` (``rpn_conv``).
        ``shared_detector`` finds the parts on ``feat`` even when there is a frozen copy."""
        with self.autocast(batch_inputs):
            x = self.extract_feat(batch_inputs)
        out: Dict[str, object] = dict(
            part_feats=None, part_valid=None, global_feats=None, boxes=None, scores=None,
            feat=x, rpn_outs=None, rpn_conv=None)
        if self.rpn_head is not None:
            conv = None  # the features the R-MAC pools
            with self.autocast(batch_inputs):
                if self.rmac is not None:
                    conv = (self.rpn_head.conv_features(x) if self.rmac_conv is None else
                            F.relu(self.rmac_conv(x)))
                if self.rmac_conv is None:
                    out['rpn_conv'] = conv
                with torch.no_grad():
                    if self.part_backbone is not None and not shared_detector:
                        det_conv = self.rpn_head.conv_features(
                            self._part_detector_feat(batch_inputs))
                    elif conv is not None and self.rmac_conv is None:
                        det_conv = conv.detach()
                    else:
                        det_conv = self.rpn_head.conv_features(x)
                    cls_score, bbox_pred = self.rpn_head.forward_from_conv(det_conv)
            with torch.no_grad():
                cls_score, bbox_pred = cls_score.float(), bbox_pred.float()
                boxes, scores, detected = self.rpn_head.select_parts(
                    [cls_score], [bbox_pred], batch_img_metas)
            out.update(boxes=boxes, scores=scores, part_valid=detected,
                       rpn_outs=(cls_score, bbox_pred))
            if conv is not None:
                part_feats = self.rmac(conv, boxes, detected, self.rpn_head.stride).float()
                if self.part_projection is not None:
                    part_feats = self.part_projection(part_feats, detected)
                out['part_feats'] = part_feats
        if self.global_branch is not None:
            with self.autocast(batch_inputs):
                global_feats = self.global_branch(x)
            out['global_feats'] = global_feats.float()
        return out

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Union[Tensor, List[Tensor]]]:
        """Stage 1: RPN losses on the part boxes; stage 2: the metric losses.

        Args:
            batch_inputs (Tensor): Images ``[B, 3, H, W]``.
            batch_data_samples (list[DetDataSample]): Samples (part boxes in
                ``gt_instances`` for stage 1; ``id_label`` / ``coarse_label`` metainfo for
                stage 2).

        Returns:
            dict: Losses (keys containing ``loss``) and diagnostics.
        """
        if self.stage == 'part_rpn':
            with self.autocast(batch_inputs):
                feat = self.extract_feat(batch_inputs)
            return self.rpn_head.loss((feat.float(), ), batch_data_samples)
        metas = [sample.metainfo for sample in batch_data_samples]
        feats = self._branches(batch_inputs, metas)
        losses = self.metric_head.loss(feats['part_feats'], feats['part_valid'],
                                       feats['global_feats'], batch_data_samples)
        if self.loss_part_distill is not None:
            with self.autocast(batch_inputs):
                conv = feats['rpn_conv']
                if conv is None:
                    conv = self.rpn_head.conv_features(feats['feat'])
                cls_score, bbox_pred = self.rpn_head.forward_from_conv(conv)
            losses['loss_part_distill'] = self.loss_part_distill(
                cls_score.float(), bbox_pred.float(), *feats['rpn_outs'],
                self.rpn_head.num_classes)
        return losses

    @property
    def test_part_detector(self) -> str:
        """The detector that finds the parts at test time: ``test_cfg.part_detector``, or
        ``'shared'`` where there is no frozen copy (the RPN then always reads the one
        backbone)."""
        if self.part_backbone is None:
            return 'shared'
        return self.test_cfg.get('part_detector', 'copy')

    def _raw_embedding(self, batch_inputs: Tensor, batch_img_metas: List[dict]
                       ) -> Tuple[Tensor, Dict[str, Optional[Tensor]]]:
        """The raw concatenated branch features ``[B, D]`` (the metric head's
        ``predict_by_feat`` turns them, or their flip average, into the embedding) and the
        branch outputs of one pass (parts found by :attr:`test_part_detector`)."""
        feats = self._branches(batch_inputs, batch_img_metas,
                               shared_detector=self.test_part_detector == 'shared')
        branches = [f.flatten(1) for f in (feats['part_feats'], feats['global_feats'])
                    if f is not None]
        return torch.cat(branches, dim=1), feats

    @staticmethod
    def _flip_images(batch_inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Flip each image horizontally inside its unpadded width (``img_shape``)."""
        width = batch_inputs.size(-1)
        if all(meta['img_shape'][1] == width for meta in batch_img_metas):
            return batch_inputs.flip(-1)
        flipped = batch_inputs.clone()
        for i, meta in enumerate(batch_img_metas):
            w = int(meta['img_shape'][1])
            flipped[i, ..., :w] = batch_inputs[i, ..., :w].flip(-1)
        return flipped

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Embeddings, part boxes and part features (docs/interfaces.md).

        Args:
            batch_inputs (Tensor): Images ``[B, 3, H, W]``.
            batch_data_samples (list[DetDataSample]): Samples with image metas.
            rescale (bool): Boxes in original image pixels. Defaults to True.

        Returns:
            list[DetDataSample]: Each with ``pred_feature [D]`` (with ``test_cfg.flip``, the
            embedding of the branch features averaged over the image and its mirror),
            ``pred_instances`` (``bboxes [N, 4]``, ``scores``, ``labels``, ``detected``; one
            row per part, in part order, from the unflipped image; empty without an RPN) and
            ``part_features [N, K]`` (R-MAC descriptors of the unflipped image, zeros for a
            missed part; ``[0, 0]`` without R-MAC).
        """
        if self.metric_head is None:
            raise ValueError('EIANet.predict needs a metric_head to form the embedding')
        metas = [sample.metainfo for sample in batch_data_samples]
        raw, feats = self._raw_embedding(batch_inputs, metas)
        if self.test_cfg.get('flip', False):
            # average the branch features of both passes, then form the embedding
            raw_flip, _ = self._raw_embedding(self._flip_images(batch_inputs, metas), metas)
            raw = (raw + raw_flip) / 2
        embedding = self.metric_head.predict_by_feat(raw)
        num_imgs = batch_inputs.size(0)
        if feats['boxes'] is not None:
            instances = self.rpn_head.to_instances(feats['boxes'], feats['scores'],
                                                   feats['part_valid'], metas, rescale)
        else:
            instances = [InstanceData(bboxes=embedding.new_zeros(0, 4),
                                      scores=embedding.new_zeros(0),
                                      labels=embedding.new_zeros(0, dtype=torch.long),
                                      detected=embedding.new_zeros(0, dtype=torch.bool))
                         for _ in range(num_imgs)]
        part_feats = feats['part_feats']
        for i, sample in enumerate(batch_data_samples):
            sample.pred_feature = embedding[i]
            sample.pred_instances = instances[i]
            sample.part_features = (part_feats[i] if part_feats is not None else
                                    embedding.new_zeros(0, 0))
        return batch_data_samples

    def _forward(self, batch_inputs: Tensor, batch_data_samples: OptSampleList = None) -> Tensor:
        """The embedding ``[B, D]`` of the images (no flip; for export and feature dumps).

        Args:
            batch_inputs (Tensor): Images ``[B, 3, H, W]``.
            batch_data_samples (list[DetDataSample], optional): Image metas; without them
                every image fills the whole input. Defaults to None.

        Returns:
            Tensor: ``[B, D]``.
        """
        if self.metric_head is None:
            raise ValueError('EIANet tensor mode needs a metric_head to form the embedding')
        if batch_data_samples is not None:
            metas = [sample.metainfo for sample in batch_data_samples]
        else:
            shape = tuple(batch_inputs.shape[-2:])
            metas = [dict(img_shape=shape, pad_shape=shape)] * batch_inputs.size(0)
        raw, _ = self._raw_embedding(batch_inputs, metas)
        return self.metric_head.predict_by_feat(raw)
