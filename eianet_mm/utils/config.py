"""Reading a config file with errors that name the file (and line).

mmengine's ``Config.fromfile`` reports a syntax error as ``'(' was never closed (<unknown>,
line 2)``, without the file, which may be the config or any file it inherits through
``_base_``. :func:`read_config` finds the file and raises one clear error instead.
"""
import ast
import os.path as osp
from typing import List, Optional, Set, Tuple

from mmengine.config import Config

__all__ = ['ConfigFileError', 'read_config']


class ConfigFileError(ValueError):
    """A config file that cannot be loaded; the message starts with ``<file>[:<line>]:``."""


def _base_files(tree: ast.Module) -> List[str]:
    """The file names a parsed config lists in ``_base_`` (literal strings only)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            values = [value] if isinstance(value, str) else list(value)
            return [v for v in values if isinstance(v, str)]
    return []


def _find_syntax_error(path: str, seen: Set[str]) -> Optional[Tuple[str, SyntaxError]]:
    """The first Python config file, ``path`` or one it inherits, that does not parse."""
    path = osp.abspath(path)
    if path in seen or not path.endswith('.py') or not osp.isfile(path):
        return None
    seen.add(path)
    with open(path, 'rb') as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        return path, err
    for base in _base_files(tree):
        found = _find_syntax_error(osp.join(osp.dirname(path), base), seen)
        if found is not None:
            return found
    return None


def read_config(path: str) -> Config:
    """``Config.fromfile(path)`` with clear errors.

    Args:
        path (str): The config file.

    Raises:
        FileNotFoundError: ``config file not found: <path>`` (or mmengine's message naming
            a missing ``_base_`` file).
        ConfigFileError: A syntax error, ``<file>:<line>: syntax error in config: <what>``
            (``(inherited by <path>)`` when it lies in a ``_base_`` file), or any other
            failure while executing the config, ``<path>: cannot load the config: ...``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    try:
        return Config.fromfile(path)
    except OSError:
        raise
    except SyntaxError as err:
        found = _find_syntax_error(path, set())
        if found is None:
            raise ConfigFileError(f'{path}: syntax error in the config or a file it '
                                  f'inherits: {err.msg}') from err
        file, cause = found
        inherited = ''
        if file == osp.abspath(path):
            file = path
        else:
            inherited = f' (inherited by {path})'
        raise ConfigFileError(f'{file}:{cause.lineno}: syntax error in config: '
                              f'{cause.msg}{inherited}') from err
    except Exception as err:
        raise ConfigFileError(f'{path}: cannot load the config: {type(err).__name__}: '
                              f'{err}') from err
