"""Fixtures for the command-line tools: a tiny checkpoint with images, and a tool runner."""
import importlib

import pytest

from tests.test_apis.tiny_eianet import make_tiny_setup


@pytest.fixture(scope='session')
def tiny(tmp_path_factory):
    """Config, checkpoint and six images of the tiny EIA-Net (see tiny_eianet.py)."""
    return make_tiny_setup(str(tmp_path_factory.mktemp('tiny_tools')))


@pytest.fixture
def run_tool(capsys):
    """``run_tool('verify', argv)`` calls ``tools/verify.py``'s ``main(argv)`` in this process
    and returns ``(exit status, stdout, stderr)``."""

    def run(name, argv):
        module = importlib.import_module(f'tools.{name}')
        capsys.readouterr()
        try:
            status = module.main([str(a) for a in argv])
        except SystemExit as exc:  # argparse: --help, usage errors
            status = exc.code
        out, err = capsys.readouterr()
        return status, out, err

    return run
