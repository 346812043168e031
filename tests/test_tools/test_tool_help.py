"""Every tool explains itself (``--help``) and runs from a fresh shell."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import pytest

HELP_CASES = [
    ('verify', [], ['img1', 'img2', '--level', '--threshold', 'results.json']),
    ('extract_features', [], ['--images', '--out', '--save-parts', '--label-regex']),
    ('search', [], ['build', 'query', 'ranking']),
    ('search', ['build'], ['--features', '--metric', '--out']),
    ('search', ['query'], ['--topk', '--backend', 'faiss', '--out-dir', '--camera-regex']),
    ('visualize', [], ['parts', 'heatmap', 'Fig. 3', 'Fig. 4']),
    ('visualize', ['heatmap'], ['--images', '--out-dir', '--max-images']),
    ('export_onnx', [], ['--out', '--shape', '--tolerance', 'raw BGR', 'no normalisation']),
    ('learning_check', [], ['--train-every', '--data-root', '--out', 'training images']),
]


@pytest.mark.parametrize('tool,prefix,words', HELP_CASES)
def test_help_explains_the_tool(run_tool, tool, prefix, words):
    status, out, _ = run_tool(tool, prefix + ['--help'])
    assert status == 0
    text = ' '.join(out.split())  # argparse wraps lines
    assert text.startswith('usage:')
    for word in words:
        assert word in text, f'{tool} {prefix} --help does not mention {word!r}'


def test_bad_input_is_one_error_line_and_status_1(run_tool, tmp_path):
    status, out, err = run_tool('learning_check', [tmp_path / 'missing.py', tmp_path / 'x.pth'])
    assert status == 1 and out == ''
    assert err.startswith('error: ') and 'missing.py' in err and 'Traceback' not in err


def test_usage_error_exits_with_status_2(run_tool):
    status, _, err = run_tool('verify', ['only_one_argument'])
    assert status == 2 and 'the following arguments are required' in err


def test_verify_runs_from_a_fresh_shell(tiny, repo_root, tmp_path):
    out_png = tmp_path / 'pair.png'
    env = dict(os.environ, PYTHONPATH='')
    proc = subprocess.run(
        [sys.executable, osp.join(repo_root, 'tools', 'verify.py'), tiny['config'],
         tiny['checkpoint'], tiny['images'][0], tiny['images'][3], '--out', str(out_png)],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'distance (euclidean):' in proc.stdout
    assert '-> SAME MODEL' in proc.stdout
    assert cv2.imread(str(out_png)) is not None
