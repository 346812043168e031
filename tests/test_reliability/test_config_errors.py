"""read_config: a config that cannot be loaded gives one error naming the file (and line),
also when the fault lies in a file it inherits."""
import pytest

from eianet_mm.utils.config import ConfigFileError, read_config


def test_good_config_loads(tmp_path):
    (tmp_path / 'base.py').write_text('a = 1\nb = dict(c=2)\n')
    (tmp_path / 'child.py').write_text("_base_ = ['./base.py']\nb = dict(d=3)\n")
    cfg = read_config(str(tmp_path / 'child.py'))
    assert cfg.a == 1 and cfg.b == dict(c=2, d=3)


def test_missing_config_and_missing_base(tmp_path):
    missing = str(tmp_path / 'nope.py')
    with pytest.raises(FileNotFoundError, match=f'^config file not found: {missing}$'):
        read_config(missing)
    (tmp_path / 'child.py').write_text("_base_ = ['./gone.py']\n")
    with pytest.raises(FileNotFoundError, match='gone.py'):
        read_config(str(tmp_path / 'child.py'))


def test_syntax_error_names_the_file_and_line(tmp_path):
    path = tmp_path / 'broken.py'
    path.write_text('a = 1\nb = dict(\nc = 3\n')
    with pytest.raises(ConfigFileError, match=f"^{path}:2: syntax error in config: '\\(' was "
                       'never closed$'):
        read_config(str(path))


def test_syntax_error_in_a_base_names_the_base(tmp_path):
    (tmp_path / 'sub').mkdir()
    base = tmp_path / 'sub' / 'base.py'
    base.write_text('a = 1\n\nb = [1, 2\n')
    (tmp_path / 'middle.py').write_text("_base_ = './sub/base.py'\n")
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./middle.py']\nx = 1\n")
    with pytest.raises(ConfigFileError) as info:
        read_config(str(child))
    assert str(info.value) == (f"{base}:3: syntax error in config: '[' was never closed "
                               f'(inherited by {child})')


def test_error_while_executing_and_non_utf8(tmp_path):
    path = tmp_path / 'name.py'
    path.write_text('a = undefined_name\n')
    with pytest.raises(ConfigFileError, match=f"^{path}: cannot load the config: NameError: "
                       "name 'undefined_name' is not defined$"):
        read_config(str(path))
    path = tmp_path / 'latin1.py'
    path.write_bytes(b"name = 'caf\xe9'\n")
    with pytest.raises(ConfigFileError, match=f'^{path}: cannot load the config: '
                       "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9"):
        read_config(str(path))
