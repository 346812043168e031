"""The feature maps behind the paper's Fig. 4: backbone output vs part-RPN conv features."""
import math
from typing import Dict

import torch
from mmengine.dataset import pseudo_collate

from .inference import ImageInput, build_pipelines, run_pipeline


def feature_maps(model: torch.nn.Module, image: ImageInput) -> Dict[str, torch.Tensor]:
    """The last conv feature maps of one image, cropped to the image (padding removed).

    Args:
        model (torch.nn.Module): An ``EIANet`` from :func:`init_model`.
        image (str | np.ndarray): A path or a ``uint8`` BGR array.

    Returns:
        dict[str, Tensor]: ``'backbone'``: the (backbone / neck) map the RPN and the global
        branch see, ``[C, h, w]``; ``'part_rpn'``: the part RPN's shared conv features
        (after ReLU) that the R-MAC pools, ``[K, h, w]`` (only for a model with a part RPN).
        Both cover the resized network input without its padding.
    """
    data = pseudo_collate([run_pipeline(build_pipelines(getattr(model, 'cfg', None)), image, 0)])
    with torch.no_grad():
        data = model.data_preprocessor(data, False)
        inputs = data['inputs']
        img_h, img_w = data['data_samples'][0].metainfo['img_shape']
        feat = model.extract_feat(inputs)
        maps = {'backbone': feat[0]}
        if getattr(model, 'rpn_head', None) is not None:
            maps['part_rpn'] = model.rpn_head.conv_features(feat)[0]
    stride_h = inputs.shape[-2] / feat.shape[-2]
    stride_w = inputs.shape[-1] / feat.shape[-1]
    rows = min(feat.shape[-2], max(1, math.ceil(img_h / stride_h)))
    cols = min(feat.shape[-1], max(1, math.ceil(img_w / stride_w)))
    return {name: m[:, :rows, :cols].cpu() for name, m in maps.items()}
