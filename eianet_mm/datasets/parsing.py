"""Reading the text files of the vehicle datasets, with errors that name the file and line.

Every loader in :mod:`eianet_mm.datasets` reads its lists through :func:`read_lines`, splits
them with :meth:`Line.fields` and reports bad content with :meth:`Line.error`, so a bad input
always ends in one exception whose message starts with ``<file>:<line>:``.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Hashable, Iterable, List, Optional, Sequence, Tuple, Union

__all__ = [
    'DataFormatError', 'data_error', 'require_file', 'require_dir', 'Line', 'read_lines',
    'check_duplicate', 'FileIndex', 'check_images_exist', 'contiguous_labels'
]

_MAX_SHOWN = 200  # characters of an offending line quoted in a message


class DataFormatError(ValueError):
    """Bad content in a dataset file; the message starts with ``<file>[:<line>]:``."""


def data_error(path: str, msg: str, line: Optional[int] = None) -> DataFormatError:
    """Build a :class:`DataFormatError` whose message names ``path`` (and ``line``).

    Args:
        path (str): The file (or folder) holding the bad input.
        msg (str): What is wrong.
        line (int, optional): 1-based line number. Defaults to None.

    Returns:
        DataFormatError: The error, with ``path`` and ``line`` attributes set.
    """
    where = path if line is None else f'{path}:{line}'
    err = DataFormatError(f'{where}: {msg}')
    err.path = path
    err.line = line
    return err


def require_file(path: str, what: str) -> None:
    """Raise a clear error unless ``path`` is an existing file.

    Args:
        path (str): The file.
        what (str): What the file is, for the message (e.g. ``'VehicleID train list'``).
    """
    if osp.isdir(path):
        raise data_error(path, f'{what}: expected a file, found a folder')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')


def require_dir(path: str, what: str) -> None:
    """Raise a clear error unless ``path`` is an existing folder.

    Args:
        path (str): The folder.
        what (str): What the folder is, for the message (e.g. ``'image folder'``).
    """
    if osp.isfile(path):
        raise data_error(path, f'{what}: expected a folder, found a file')
    if not osp.isdir(path):
        raise FileNotFoundError(f'{what} not found: {path}')


@dataclass(frozen=True)
class Line:
    """One non-blank line of a text file, stripped, with where it came from.

    Args:
        path (str): The file.
        number (int): 1-based line number.
        text (str): The line without surrounding white space.
    """
    path: str
    number: int
    text: str

    def error(self, msg: str) -> DataFormatError:
        """The error for this line: ``<file>:<line>: <msg>: '<line text>'``."""
        shown = self.text if len(self.text) <= _MAX_SHOWN else self.text[:_MAX_SHOWN] + '...'
        return data_error(self.path, f'{msg}: {shown!r}', self.number)

    def fields(self,
               counts: Union[int, Sequence[int]],
               sep: Optional[str] = None,
               form: str = '') -> List[str]:
        """Split the line and check the number of fields.

        Args:
            counts (int | Sequence[int]): The allowed numbers of fields.
            sep (str, optional): Separator; white space when None. Fields split on ``sep``
                are stripped. Defaults to None.
            form (str): The expected form, quoted in the message. Defaults to ''.

        Returns:
            list[str]: The fields.
        """
        counts = (counts, ) if isinstance(counts, int) else tuple(counts)
        parts = self.text.split() if sep is None else [p.strip() for p in self.text.split(sep)]
        if len(parts) not in counts:
            allowed = ' or '.join(str(c) for c in counts)
            expected = f' ({form})' if form else ''
            raise self.error(f'wrong number of fields: expected {allowed}{expected}, '
                             f'got {len(parts)}')
        return parts

    def to_int(self, token: str, what: str) -> int:
        """Parse ``token`` as an integer, or raise this line's error naming ``what``."""
        try:
            return int(token)
        except ValueError:
            raise self.error(f'{what} is not an integer ({token!r})') from None


def read_lines(path: str, what: str, encoding: str = 'utf-8') -> List[Line]:
    """Read the non-blank lines of a text file, strictly decoded.

    A UTF-8 byte-order mark is dropped; ``\\r\\n`` and ``\\n`` line ends are both accepted.

    Args:
        path (str): The file.
        what (str): What the file is, for messages.
        encoding (str): The text encoding. Defaults to 'utf-8'.

    Returns:
        list[Line]: The stripped non-blank lines, with their 1-based numbers.
    """
    require_file(path, what)
    with open(path, 'rb') as f:
        data = f.read()
    if encoding.replace('-', '').lower() == 'utf8' and data.startswith(b'\xef\xbb\xbf'):
        data = data[3:]
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise data_error(
            path, f'{what} is not valid {encoding} text '
            f'(byte 0x{data[e.start]:02x} at byte offset {e.start})', line) from None
    lines = []
    for number, raw in enumerate(text.split('\n'), start=1):
        stripped = raw.strip()
        if stripped:
            lines.append(Line(path, number, stripped))
    if not lines:
        raise data_error(path, f'{what} is empty')
    return lines


def check_duplicate(seen: Dict[Hashable, Line], key: Hashable, line: Line, what: str) -> None:
    """Record ``key`` as read on ``line``; raise if it was read before.

    Args:
        seen (dict): Keys read so far, each with its line (updated in place).
        key (Hashable): The key of this line (e.g. an image name).
        line (Line): The line being read.
        what (str): What the key is, for the message (e.g. ``'image'``).
    """
    first = seen.get(key)
    if first is not None:
        where = f'line {first.number}' if first.path == line.path else \
            f'{first.path}:{first.number}'
        raise line.error(f'duplicate {what} {key!r} (first listed at {where})')
    seen[key] = line


class FileIndex:
    """Tells whether files exist, listing each folder once (cheap for large lists)."""

    def __init__(self) -> None:
        self._listings: Dict[str, Optional[frozenset]] = {}

    def exists(self, path: str) -> bool:
        """Whether ``path`` names an entry of its (existing) folder."""
        folder, name = osp.split(path)
        if folder not in self._listings:
            try:
                self._listings[folder] = frozenset(os.listdir(folder or '.'))
            except (FileNotFoundError, NotADirectoryError):
                self._listings[folder] = None
        listing = self._listings[folder]
        return listing is not None and name in listing


def check_images_exist(items: Iterable[Tuple[str, Line]],
                       index: Optional[FileIndex] = None) -> None:
    """Raise the line's error for the first image that is not on disk.

    Args:
        items (Iterable[tuple[str, Line]]): ``(image path, line that lists it)`` pairs.
        index (FileIndex, optional): A folder-listing cache to share between calls.
            Defaults to None (a new one).
    """
    index = FileIndex() if index is None else index
    for path, line in items:
        if not index.exists(path):
            raise line.error(f'image not found: {path}')


def contiguous_labels(keys: Sequence[Hashable]) -> Tuple[List[int], Dict[Hashable, int]]:
    """Map raw class keys to contiguous labels 0..C-1 in sorted key order.

    Args:
        keys (Sequence[Hashable]): One raw key per sample (sortable).

    Returns:
        tuple[list[int], dict]: The label of each sample, and the key → label map.
    """
    mapping = {key: label for label, key in enumerate(sorted(set(keys)))}
    return [mapping[key] for key in keys], mapping
