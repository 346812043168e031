"""Safe loading of mmengine checkpoints on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine 0.10.7 calls
``torch.load`` without the argument, so a checkpoint holding mmengine's ``HistoryBuffer``
(every training checkpoint: the message hub) fails to load and ``--resume`` breaks.

Rather than turning ``weights_only`` off, this module

1. allow-lists the few plain classes mmengine's checkpoints contain (``HistoryBuffer`` and
   numpy arrays / scalars / dtypes), so ``weights_only=True`` still guards every load;
2. makes ``HistoryBuffer`` pickle without its four built-in statistics methods (bound
   functions, which would need ``builtins.getattr`` in the allow-list); they are restored on
   load, as mmengine does for older checkpoints;
3. replaces mmengine's local-file checkpoint loader by :func:`load_local_checkpoint`, which
   raises a clear error for a corrupt file or for one holding other Python objects, unless
   the user trusts it explicitly (``EIANET_TRUSTED_CHECKPOINTS``);
4. makes mmengine's local binary writes (checkpoints) atomic: :func:`atomic_put` writes a
   temporary file beside the target and renames it, so a run killed while saving leaves the
   previous checkpoint intact and never a half-written file.

:func:`install` does all four; it runs when ``eianet_mm`` is imported.
"""
import os
import os.path as osp
import pickle
import tempfile
import warnings
from pathlib import Path
from typing import Any, List, Optional, Union

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

TRUST_ENV = 'EIANET_TRUSTED_CHECKPOINTS'
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def checkpoint_safe_globals() -> List[Any]:
    """The classes and functions a project checkpoint may hold besides tensors."""
    dtype_classes = [
        type(np.dtype(name)) for name in ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8',
                                          'uint16', 'uint32', 'uint64', 'float16', 'float32',
                                          'float64')
    ]
    return [
        HistoryBuffer,
        np.ndarray,
        np.dtype,
        np._core.multiarray._reconstruct,
        np._core.multiarray.scalar,
    ] + dtype_classes


def _history_buffer_getstate(self: HistoryBuffer) -> dict:
    """Pickle state without the built-in statistics (restored by ``__setstate__``)."""
    state = {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}
    custom = {
        name: method
        for name, method in self._statistics_methods.items()
        if name not in _DEFAULT_STATISTICS
    }
    if custom:
        state['statistics_methods'] = custom
    return state


def is_trusted(filename: str, trusted: Optional[str] = None) -> bool:
    """Whether ``filename`` may be unpickled without the weights-only guard.

    Args:
        filename (str): The checkpoint path.
        trusted (str, optional): ``os.pathsep``-separated folders (or files) the user trusts,
            or ``'1'``/``'all'`` to trust every file. Defaults to the environment variable
            ``EIANET_TRUSTED_CHECKPOINTS``.
    """
    trusted = os.environ.get(TRUST_ENV, '') if trusted is None else trusted
    if trusted.strip().lower() in ('1', 'all', 'true'):
        return True
    path = osp.realpath(filename)
    for entry in filter(None, trusted.split(os.pathsep)):
        entry = osp.realpath(osp.expanduser(entry))
        if path == entry or path.startswith(entry.rstrip(os.sep) + os.sep):
            return True
    return False


def load_local_checkpoint(filename: str, map_location: Any = None) -> Any:
    """Load a local checkpoint with ``weights_only=True`` and the project's allow-list.

    Args:
        filename (str): Path of the checkpoint.
        map_location: As for :func:`torch.load`. Defaults to None.

    Raises:
        FileNotFoundError: The file does not exist.
        RuntimeError: The file is corrupt, or holds objects outside the allow-list and is
            not trusted (the message says how to trust it).
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found.')
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        reason = next((line.strip() for line in str(err).splitlines()
                       if 'Unsupported global' in line or 'but got' in line), None)
        if reason is None:  # not an allow-list refusal: the bytes are not a checkpoint
            raise RuntimeError(f'checkpoint {filename} is corrupt or not a PyTorch '
                               f'checkpoint ({_ending(str(err))})') from err
        if not is_trusted(filename):
            raise RuntimeError(
                f'checkpoint {filename} holds Python objects outside eianet_mm\'s allow-list '
                f'for safe loading ({reason[:300]}). Unpickling it can run arbitrary code. If '
                f'you trust this file, set {TRUST_ENV}={osp.dirname(osp.abspath(filename))} '
                f'(folders separated by "{os.pathsep}", or 1 for every file) and retry.'
            ) from err
        warnings.warn(f'loading trusted checkpoint {filename} with weights_only=False')
        return torch.load(filename, map_location=map_location, weights_only=False)
    except Exception as err:  # torch raises many types for a damaged file
        raise RuntimeError(
            f'checkpoint {filename} is corrupt or not a PyTorch checkpoint '
            f'({type(err).__name__}: {str(err)[:200]})') from err


def _ending(message: str, size: int = 200) -> str:
    """The last ``size`` characters of an error message, starting at a whole word."""
    message = ' '.join(message.split())
    if len(message) <= size:
        return message
    return '...' + message[-size:].split(' ', 1)[-1]


def atomic_put(self: LocalBackend, obj: bytes, filepath: Union[str, Path]) -> None:
    """Write ``obj`` to ``filepath`` through a temporary file and an atomic rename; the file
    gets the mode a plain ``open`` would give it (0666 minus the umask)."""
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix='.' + osp.basename(filepath) + '.', dir=folder)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a checkpoint gets the usual mode
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


_installed = False


def install() -> None:
    """Patch ``HistoryBuffer`` pickling and local writes; register the safe loader."""
    global _installed
    if _installed:
        return
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    LocalBackend.put = atomic_put
    _installed = True
