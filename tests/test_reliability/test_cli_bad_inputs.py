"""Bad input given to the command-line tools: a missing or broken config, a missing, corrupt,
foreign or mismatched checkpoint, a missing or unreadable image, a non-UTF-8 image list.
Each ends in one ``error: ...`` line naming the file (and line), exit status 1; tools/train.py
and tools/test.py (mmdet-style scripts) raise one exception naming it."""
import fractions
import importlib
import sys

import pytest
import torch

from tests.test_apis.tiny_eianet import make_tiny_setup


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return make_tiny_setup(str(tmp_path_factory.mktemp('tiny_cli_bad_inputs')), num_images=2)


@pytest.fixture(scope='module')
def bad(tmp_path_factory, tiny):
    """Broken inputs, by name."""
    folder = tmp_path_factory.mktemp('bad_inputs')
    paths = {key: str(folder / name) for key, name in dict(
        missing_cfg='missing.py', syntax_cfg='syntax.py', inherits_cfg='inherits_syntax.py',
        missing_ckpt='missing.pth', corrupt_ckpt='corrupt.pth', foreign_ckpt='foreign.pth',
        other_ckpt='other_model.pth', missing_img='missing.jpg', garbage_img='garbage.jpg',
        latin1_list='latin1.txt', unknown_type_cfg='unknown_type.py').items()}
    (folder / 'syntax.py').write_text("model = dict(\n    type='EIANet',\n    x=[1, 2)\n")
    (folder / 'inherits_syntax.py').write_text("_base_ = ['./syntax.py']\nx = 1\n")
    with open(tiny['config']) as f:
        text = f.read()
    (folder / 'unknown_type.py').write_text(text.replace("type='EIANet'", "type='NoSuchNet'"))
    (folder / 'corrupt.pth').write_bytes(b'PK\x03\x04 not really a zip')
    torch.save({'state_dict': {}, 'extra': fractions.Fraction(1, 3)}, paths['foreign_ckpt'])
    torch.save({'state_dict': {'fc.weight': torch.zeros(2, 2)}}, paths['other_ckpt'])
    (folder / 'garbage.jpg').write_bytes(b'\x00\x01 this is not an image' * 10)
    (folder / 'latin1.txt').write_bytes(tiny['images'][0].encode() + b'\ncaf\xe9.jpg\n')
    return paths


def run_tool(name, argv, capsys):
    """``tools/<name>.py``'s ``main(argv)`` in this process: (exit status, stderr)."""
    module = importlib.import_module(f'tools.{name}')
    capsys.readouterr()
    status = module.main([str(a) for a in argv])
    return status, capsys.readouterr().err


def tool_argv(tool, config, checkpoint, image, tmp_path):
    if tool == 'verify':
        return [config, checkpoint, image, image, '--out', tmp_path / 'v.png']
    if tool == 'extract_features':
        return [config, checkpoint, '--images', image, '--out', tmp_path / 'f.npy']
    if tool == 'visualize':
        return ['parts', config, checkpoint, '--images', image, '--out-dir', tmp_path]
    return [config, checkpoint, '--out', tmp_path / 'm.onnx', '--images', image]


TOOLS = ['verify', 'extract_features', 'visualize', 'export_onnx']
CASES = {
    # case: (config, checkpoint, image) names from `bad` (None: the good one), message
    'missing_config': (('missing_cfg', None, None), 'config file not found: {missing_cfg}'),
    'config_syntax_error': (('syntax_cfg', None, None),
                            "{syntax_cfg}:3: syntax error in config: closing parenthesis ')' "
                            "does not match opening parenthesis '['"),
    'inherited_config_syntax_error': (
        ('inherits_cfg', None, None),
        "{syntax_cfg}:3: syntax error in config: closing parenthesis ')' does not match opening "
        "parenthesis '[' (inherited by {inherits_cfg})"),
    'unknown_model_type': (('unknown_type_cfg', None, None),
                           '{unknown_type_cfg}: cannot build the model: NoSuchNet is not in '
                           'the mmdet::model registry'),
    'missing_checkpoint': ((None, 'missing_ckpt', None),
                           'checkpoint {missing_ckpt} can not be found.'),
    'corrupt_checkpoint': ((None, 'corrupt_ckpt', None),
                           'checkpoint {corrupt_ckpt} is corrupt or not a PyTorch checkpoint'),
    'foreign_checkpoint': ((None, 'foreign_ckpt', None),
                           "checkpoint {foreign_ckpt} holds Python objects outside eianet_mm's "
                           'allow-list for safe loading'),
    'checkpoint_of_another_model': (
        (None, 'other_ckpt', None),
        'checkpoint {other_ckpt} does not fit the model of {config}: 1 weights the model '
        'does not have (fc.weight); 126 model weights it lacks (backbone.conv1.weight, '
        'backbone.bn1.weight, backbone.bn1.bias, ...)'),
    'missing_image': ((None, None, 'missing_img'), 'image not found: {missing_img}'),
    'unreadable_image': ((None, None, 'garbage_img'),
                         'cannot decode image (230 bytes; not an image OpenCV '),
}


@pytest.mark.parametrize('case', list(CASES))
@pytest.mark.parametrize('tool', TOOLS)
def test_tool_names_the_bad_input(tool, case, tiny, bad, tmp_path, capsys):
    (config, checkpoint, image), expected = CASES[case]
    config = bad[config] if config else tiny['config']
    checkpoint = bad[checkpoint] if checkpoint else tiny['checkpoint']
    image = bad[image] if image else tiny['images'][0]
    status, err = run_tool(tool, tool_argv(tool, config, checkpoint, image, tmp_path), capsys)
    assert status == 1
    assert err.startswith('error: ' + expected.format_map({**bad, 'config': tiny['config']}))
    if case == 'unreadable_image':
        assert err.rstrip().endswith(bad['garbage_img'])


def test_image_list_not_utf8_names_file_and_line(tiny, bad, tmp_path, capsys):
    status, err = run_tool('extract_features', [tiny['config'], tiny['checkpoint'], '--images',
                                                bad['latin1_list'], '--out', tmp_path / 'f.npy'],
                           capsys)
    assert status == 1
    assert err.startswith(f"error: {bad['latin1_list']}:2: image list is not valid utf-8 text "
                          '(byte 0xe9')


def test_search_names_a_missing_features_file(bad, tmp_path, capsys):
    features = tmp_path / 'none.npy'
    status, err = run_tool('search', ['build', '--features', features, '--out',
                                      tmp_path / 'g.npz'], capsys)
    assert (status, err) == (1, f'error: features not found: {features}\n')


def run_script(name, argv, monkeypatch):
    """``tools/<name>.py``'s ``main()`` with ``argv`` on the command line."""
    monkeypatch.setattr(sys, 'argv', [f'tools/{name}.py'] + [str(a) for a in argv])
    importlib.import_module(f'tools.{name}').main()


@pytest.mark.parametrize('script', ['train', 'test'])
def test_train_and_test_scripts_name_a_bad_config(script, tiny, bad, monkeypatch):
    extra = [tiny['checkpoint']] if script == 'test' else []
    with pytest.raises(FileNotFoundError, match=f"^config file not found: {bad['missing_cfg']}$"):
        run_script(script, [bad['missing_cfg']] + extra, monkeypatch)
    with pytest.raises(ValueError, match=f"^{bad['syntax_cfg']}:3: syntax error in config: "):
        run_script(script, [bad['syntax_cfg']] + extra, monkeypatch)


def test_test_script_names_a_missing_checkpoint(tiny, bad, monkeypatch):
    with pytest.raises(FileNotFoundError, match=f"^checkpoint not found: {bad['missing_ckpt']}$"):
        run_script('test', [tiny['config'], bad['missing_ckpt']], monkeypatch)
