"""Image lists for the tools: a folder, a list file, or paths; optional labels.

A list file holds one image per line: ``<path>`` or ``<path> <label>`` (the label is any
token without white space, e.g. a vehicle id or ``make/model/year``; when a path contains
spaces, separate the label with a tab). Blank lines and lines starting with ``#`` are
skipped. Relative paths are resolved against ``root`` (default: the list file's folder).
Every line has a label or none does.
"""
import os
import os.path as osp
import re
from typing import List, Optional, Sequence, Tuple

from ..datasets.parsing import read_lines

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')


def parse_list_line(line: str) -> Tuple[str, Optional[str]]:
    """Split one list line into its path and its label (None when it has none)."""
    line = line.rstrip('\r\n')
    if '\t' in line:
        path, label = line.rsplit('\t', 1)
        return path.strip(), (label.strip() or None)
    tokens = line.split()
    if len(tokens) == 1:
        return tokens[0], None
    if len(tokens) == 2:
        return tokens[0], tokens[1]
    raise ValueError(f'expected "<path>" or "<path> <label>", got {len(tokens)} fields '
                     '(separate the label with a tab when the path has spaces)')


def read_image_list(list_file: str,
                    root: Optional[str] = None) -> Tuple[List[str], Optional[List[str]]]:
    """Read a list file (format in the module docstring).

    Args:
        list_file (str): The list file.
        root (str, optional): Folder that relative paths are resolved against. Defaults
            to None (the list file's folder).

    Returns:
        tuple: the image paths, and their labels (None when the list has no labels).
    """
    root = osp.dirname(osp.abspath(list_file)) if root is None else root
    paths, labels = [], []
    # strict UTF-8: a file in another encoding (or binary) names the file and line
    for line in read_lines(list_file, 'image list'):
        if line.text.startswith('#'):
            continue
        try:
            path, label = parse_list_line(line.text)
        except ValueError as err:
            raise ValueError(f'{list_file}, line {line.number}: {err}') from None
        if labels and (label is None) != (labels[-1] is None):
            raise ValueError(f'{list_file}, line {line.number}: some lines have a label and '
                             'some do not; label every image or none')
        paths.append(path if osp.isabs(path) else osp.join(root, path))
        labels.append(label)
    if not paths:
        raise ValueError(f'image list {list_file} names no image')
    return paths, (None if labels[0] is None else labels)


def scan_image_folder(folder: str) -> List[str]:
    """All images under ``folder`` (recursively), by extension, in sorted order."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                found.append(osp.join(dirpath, name))
    if not found:
        raise ValueError(f'no image ({", ".join(IMAGE_EXTENSIONS)}) found under {folder}')
    return found


def labels_from_regex(paths: Sequence[str], pattern: str,
                      root: Optional[str] = None) -> List[str]:
    """The label of each path: the first group of ``pattern`` searched in the path.

    Args:
        paths (Sequence[str]): Image paths.
        pattern (str): A regular expression with one group, searched in each path made
            relative to ``root`` (with ``/`` separators), e.g. ``'^(\\d+)_'`` for VeRi
            file names or ``'^\\d+/(\\d+)/'`` for CompCars' model id.
        root (str, optional): Folder the paths are made relative to. Defaults to None (the
            paths as given).

    Returns:
        list[str]: One label per path.
    """
    regex = re.compile(pattern)
    if regex.groups < 1:
        raise ValueError(f'label regex {pattern!r} has no group; put the label in (...)')
    labels = []
    for path in paths:
        rel = osp.relpath(path, root) if root is not None else path
        match = regex.search(rel.replace(os.sep, '/'))
        if match is None or match.group(1) is None:
            raise ValueError(f'label regex {pattern!r} does not match {rel}')
        labels.append(match.group(1))
    return labels


def collect_images(source: Sequence[str],
                   root: Optional[str] = None,
                   label_regex: Optional[str] = None) -> Tuple[List[str], Optional[List[str]]]:
    """Images (and labels) from folders, list files (``.txt``) and image paths.

    Args:
        source (Sequence[str]): Any mix of image folders, list files and image files.
        root (str, optional): Folder relative list entries are resolved against (default:
            each list's folder), and that ``label_regex`` paths are relative to (default: the
            folder given, or the paths as written). Defaults to None.
        label_regex (str, optional): Take each label from the image path
            (:func:`labels_from_regex`) instead of the list. Defaults to None.

    Returns:
        tuple: the image paths and their labels (None when there are none).
    """
    paths: List[str] = []
    labels: List[Optional[str]] = []
    regex_root = root
    for item in source:
        if osp.isdir(item):
            found = scan_image_folder(item)
            paths += found
            labels += [None] * len(found)
            regex_root = item if regex_root is None and len(source) == 1 else regex_root
        elif item.lower().endswith(IMAGE_EXTENSIONS):
            paths.append(item)
            labels.append(None)
        elif osp.isfile(item):
            found, found_labels = read_image_list(item, root)
            paths += found
            labels += found_labels if found_labels is not None else [None] * len(found)
        else:
            raise FileNotFoundError(f'not an image folder, list file or image: {item}')
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        more = f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''
        raise FileNotFoundError(f'image not found: {missing[0]}{more}')
    if label_regex is not None:
        return paths, labels_from_regex(paths, label_regex, regex_root)
    if all(label is None for label in labels):
        return paths, None
    if any(label is None for label in labels):
        raise ValueError('some images have labels and some do not; label every image or none')
    return paths, labels


def write_image_list(path: str, images: Sequence[str],
                     labels: Optional[Sequence[str]] = None) -> str:
    """Write a list file (``<path>`` or ``<path><TAB><label>`` per line)."""
    if labels is not None and len(labels) != len(images):
        raise ValueError(f'{len(labels)} labels for {len(images)} images')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        for i, image in enumerate(images):
            f.write(image if labels is None else f'{image}\t{labels[i]}')
            f.write('\n')
    return path
