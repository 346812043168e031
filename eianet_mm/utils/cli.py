"""What every command-line tool does with a user's mistake."""
import sys
from typing import Callable, Tuple, Type


def run_reporting_errors(action: Callable[[], None],
                         user_errors: Tuple[Type[BaseException], ...]) -> int:
    """Run a tool's work; an error of ``user_errors`` (bad input: a missing file, a malformed
    line) is printed as ``error: <message>`` on stderr instead of a traceback.

    Args:
        action (Callable): The tool's work.
        user_errors (tuple[type]): The exception types that mean bad input.

    Returns:
        int: The exit status: 0, or 1 after a user error.
    """
    try:
        action()
    except user_errors as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0
