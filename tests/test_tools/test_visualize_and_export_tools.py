"""tools/visualize.py (parts, heat maps) and tools/export_onnx.py on the tiny checkpoint."""
import os

import cv2
import onnx


def test_visualize_parts(tiny, run_tool, tmp_path):
    status, out, err = run_tool('visualize', ['parts', tiny['config'], tiny['checkpoint'],
                                              '--images', *tiny['images'][:3], '--out-dir',
                                              tmp_path])
    assert status == 0, err
    files = sorted(os.listdir(tmp_path))
    assert files == ['parts_0000_car0.png', 'parts_0001_car1.png', 'parts_0002_car2.png',
                     'parts_grid.png']
    for name in files:
        assert cv2.imread(str(tmp_path / name)) is not None
    grid = cv2.imread(str(tmp_path / 'parts_grid.png'))
    assert grid.shape[0] > 2 * 192  # originals above the drawings
    assert '4 pictures written' in out


def test_visualize_heatmaps(tiny, run_tool, tmp_path):
    status, _, err = run_tool('visualize', ['heatmap', tiny['config'], tiny['checkpoint'],
                                            '--images', *tiny['images'], '--out-dir', tmp_path,
                                            '--max-images', 2])
    assert status == 0, err
    assert sorted(os.listdir(tmp_path)) == ['heatmap_0000_car0.png', 'heatmap_0001_car1.png',
                                            'heatmaps.png']
    row = cv2.imread(str(tmp_path / 'heatmap_0000_car0.png'))
    assert row is not None and row.shape[1] == 3 * 192 + 2 * 4  # image + two heat maps


def test_visualize_names_the_bad_image(tiny, run_tool, tmp_path):
    empty = tmp_path / 'empty.jpg'
    empty.write_bytes(b'')
    status, _, err = run_tool('visualize', ['parts', tiny['config'], tiny['checkpoint'],
                                            '--images', empty, '--out-dir', tmp_path / 'o'])
    assert status == 1 and 'empty.jpg' in err


def test_export_onnx_passes_its_check(tiny, run_tool, tmp_path):
    out = tmp_path / 'tiny.onnx'
    status, stdout, err = run_tool('export_onnx', [tiny['config'], tiny['checkpoint'], '--out',
                                                   out, '--images', tiny['images'][4]])
    assert status == 0, err
    assert 'check passed' in stdout
    assert 'input "image" float32 [1, 3, 64, 64] raw BGR 0-255' in stdout
    onnx.checker.check_model(str(out))
    diffs = [float(line.rsplit(':', 1)[1]) for line in stdout.splitlines()
             if line.startswith('max abs difference')]
    assert len(diffs) == 2 and max(diffs) <= 1e-4
    # the same run fails (exit status 1) when the tolerance cannot be met
    status, stdout, _ = run_tool('export_onnx', [tiny['config'], tiny['checkpoint'], '--out',
                                                 out, '--tolerance', -1])
    assert status == 1 and 'check FAILED' in stdout


def test_export_onnx_names_a_missing_check_image(tiny, run_tool, tmp_path):
    status, _, err = run_tool('export_onnx', [tiny['config'], tiny['checkpoint'], '--out',
                                              tmp_path / 'x.onnx', '--images',
                                              tmp_path / 'nothing.jpg'])
    assert status == 1 and 'nothing.jpg' in err
