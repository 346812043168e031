"""ONNX export: onnxruntime matches PyTorch and the test pipeline; raw 0-255 BGR input."""
import cv2
import numpy as np
import onnx
import pytest
import torch

from eianet_mm.apis import (EXPORT_CFG_OPTIONS, EmbeddingExportModule, bgr_images_to_input,
                            export_onnx, extract, fixed_input_size, init_model, run_onnx)
from tests.test_apis.tiny_eianet import EMBED_DIMS, IMG_SIZE, make_tiny_setup


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp('tiny_export')
    tiny = make_tiny_setup(str(folder), num_images=3)
    model = init_model(tiny['config'], tiny['checkpoint'], cfg_options=EXPORT_CFG_OPTIONS)
    path = str(folder / 'tiny.onnx')
    module = export_onnx(model, path, (IMG_SIZE, IMG_SIZE), batch_size=2)
    images = [cv2.imread(p) for p in tiny['images'][:2]]
    return dict(tiny=tiny, model=model, path=path, module=module, images=images)


def test_onnx_graph_has_the_documented_input_and_output(exported):
    graph = onnx.load(exported['path']).graph
    assert [i.name for i in graph.input] == ['image']
    assert [o.name for o in graph.output] == ['embedding']
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim]
    assert dims == [2, 3, IMG_SIZE, IMG_SIZE]
    dims = [d.dim_value for d in graph.output[0].type.tensor_type.shape.dim]
    assert dims == [2, EMBED_DIMS]


def test_onnxruntime_matches_pytorch_and_the_pipeline_on_raw_bgr_images(exported):
    inputs = bgr_images_to_input(exported['images'])
    assert inputs.dtype == np.float32 and inputs.max() > 1.0  # raw 0-255 values
    onnx_out = run_onnx(exported['path'], inputs)
    with torch.no_grad():
        torch_out = exported['module'](torch.from_numpy(inputs)).numpy()
    assert np.abs(onnx_out - torch_out).max() < 1e-4
    # the normalisation lives inside the graph: raw images give what the test pipeline
    # (data preprocessor mean/std, BGR->RGB, flip averaging) gives
    pipeline_out = extract(exported['model'], exported['images'])
    assert np.abs(onnx_out - pipeline_out).max() < 1e-4
    assert np.abs(pipeline_out).max() > 1e-2  # not trivially zero


def test_normalised_or_rgb_input_gives_a_different_embedding(exported):
    model = exported['model']
    raw = bgr_images_to_input(exported['images'])
    reference = run_onnx(exported['path'], raw)
    mean = model.data_preprocessor.mean.numpy()
    std = model.data_preprocessor.std.numpy()
    normalised = (raw[:, ::-1] - mean) / std  # what a caller must NOT do
    assert np.abs(run_onnx(exported['path'], normalised) - reference).max() > 1e-2
    rgb = np.ascontiguousarray(raw[:, ::-1])
    assert np.abs(run_onnx(exported['path'], rgb) - reference).max() > 1e-3


def test_export_needs_the_per_part_max_and_a_fixed_size(exported):
    tiny = exported['tiny']
    nms_model = init_model(tiny['config'], tiny['checkpoint'])
    with pytest.raises(ValueError, match="part_select='max'"):
        EmbeddingExportModule(nms_model)
    assert fixed_input_size(nms_model.cfg) == (IMG_SIZE, IMG_SIZE)
    keep_ratio = init_model(tiny['config'], cfg_options={
        'test_dataloader.dataset.pipeline': [dict(type='LoadVehicleImage'),
                                             dict(type='Resize', scale=(64, 64),
                                                  keep_ratio=True)]})
    with pytest.raises(ValueError, match='does not resize to a fixed size'):
        fixed_input_size(keep_ratio.cfg)


def test_padding_to_the_divisor_and_flip_inside_the_graph(exported, tmp_path):
    """52 x 60 is padded to 56 x 64 (pad_size_divisor 8) by the data preprocessor; the model
    flips inside the unpadded width. The graph must do the same."""
    tiny = exported['tiny']
    options = dict(EXPORT_CFG_OPTIONS, **{'test_dataloader.dataset.pipeline.2.scale': (60, 52)})
    model = init_model(tiny['config'], tiny['checkpoint'], cfg_options=options)
    assert fixed_input_size(model.cfg) == (52, 60)
    path = str(tmp_path / 'padded.onnx')
    export_onnx(model, path, (52, 60))
    image = cv2.resize(exported['images'][1], (60, 52), interpolation=cv2.INTER_LINEAR)
    onnx_out = run_onnx(path, bgr_images_to_input([image]))
    assert np.abs(onnx_out - extract(model, image)).max() < 1e-4
