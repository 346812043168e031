"""Utilities shared by the package and its tools."""
from .checkpoint import install as install_safe_checkpoint_loading
from .checkpoint import is_trusted, load_local_checkpoint

install_safe_checkpoint_loading()

__all__ = ['install_safe_checkpoint_loading', 'is_trusted', 'load_local_checkpoint']
