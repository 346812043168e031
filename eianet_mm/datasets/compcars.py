"""CompCars (web nature) for vehicle model verification: the train list and the pair files."""
import logging
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .base_vehicle_dataset import BaseVehicleDataset
from .parsing import (FileIndex, Line, check_duplicate, check_images_exist, contiguous_labels,
                      data_error, read_lines, require_dir)

__all__ = ['CompCarsVerificationDataset', 'read_compcars_label', 'viewpoint_pair_name']

# CompCars viewpoint codes: -1 unknown, 1 front, 2 rear, 3 side, 4 front-side, 5 rear-side.
VIEWPOINT_NAMES: Dict[int, str] = {
    -1: 'unknown', 1: 'front', 2: 'rear', 3: 'side', 4: 'front-side', 5: 'rear-side'}
VIEWPOINTS = tuple(VIEWPOINT_NAMES)
IMAGE_PATH_FORM = '<make_id>/<model_id>/<year>/<name>'


def viewpoint_pair_name(first: int, second: int) -> str:
    """The viewpoints of a pair of images by name, in alphabetical order (so the pairs of
    one viewpoint pair share it): ``'front / side'`` for ``(3, 1)`` and ``(1, 3)``."""
    for code in (first, second):
        if code not in VIEWPOINT_NAMES:
            raise ValueError(f'viewpoint must be one of {VIEWPOINTS}, got {code!r}')
    return ' / '.join(sorted((VIEWPOINT_NAMES[int(first)], VIEWPOINT_NAMES[int(second)])))


def read_compcars_label(path: str) -> Tuple[int, Optional[List[float]]]:
    """Read a CompCars label file: viewpoint, box count, first box.

    Line 1 is the viewpoint code, line 2 the number of boxes, line 3 the first box
    ``x1 y1 x2 y2`` in 1-based inclusive pixel coordinates. The box is returned in 0-based
    continuous coordinates, ``[x1 - 1, y1 - 1, x2, y2]``: it covers the same pixels, and
    ``img[y1 - 1:y2, x1 - 1:x2]`` is the car.

    Args:
        path (str): The ``.txt`` label file.

    Returns:
        tuple[int, list[float] | None]: The viewpoint, and the car box (None when the file
        lists no box).
    """
    lines = read_lines(path, 'CompCars label file')
    first = lines[0]
    viewpoint = first.to_int(first.fields(1, form='<viewpoint>')[0], 'viewpoint')
    if viewpoint not in VIEWPOINTS:
        raise first.error(f'viewpoint must be one of {VIEWPOINTS}')
    if len(lines) < 2:
        raise first.error('label file ends after the viewpoint line; expected the box count')
    count_line = lines[1]
    count = count_line.to_int(count_line.fields(1, form='<box count>')[0], 'box count')
    if count < 0:
        raise count_line.error('box count is negative')
    if count == 0:
        return viewpoint, None
    if len(lines) < 3:
        raise count_line.error(f'label file lists {count} box(es) but has no box line')
    box_line = lines[2]
    x1, y1, x2, y2 = (box_line.to_int(t, 'box coordinate')
                      for t in box_line.fields(4, form='<x1> <y1> <x2> <y2>'))
    if x1 < 1 or y1 < 1 or x2 < x1 or y2 < y1:
        raise box_line.error('box must satisfy 1 <= x1 <= x2 and 1 <= y1 <= y2 (1-based)')
    return viewpoint, [float(x1 - 1), float(y1 - 1), float(x2), float(y2)]


@DATASETS.register_module()
class CompCarsVerificationDataset(BaseVehicleDataset):
    """CompCars verification, in the real on-disk layout (also written by SynthCars).

    Under ``data_root`` (the folder holding ``data/``)::

        data/image/<make_id>/<model_id>/<year>/<name>.jpg
        data/label/<make_id>/<model_id>/<year>/<name>.txt      (optional)
        data/train_test_split/verification/verification_train.txt
        data/train_test_split/verification/verification_pairs_{easy,medium,hard}.txt

    ``mode='train'`` reads the train list (one image path per line, relative to
    ``data/image/``): ``id_label`` is contiguous over model-year (``label_level='year'``) or
    model (``'model'``), ``coarse_label`` is the model id. ``mode='test'`` reads the pair
    files (``<path1> <path2> <label>``): ``data_list`` is the distinct images of all pairs
    (first-seen order), ``id_label`` the raw model id (``'model'``) or
    ``model_id * 10000 + year`` (``'year'``), and ``metainfo['pairs']`` holds every file as
    ``{name: {'img_id1', 'img_id2', 'label', 'file'}}`` (``docs/interfaces.md``). A pair file
    named ``model_*`` must have label 1 exactly when the two paths name the same make and
    model; one named ``year_*`` exactly when make, model and year match.

    The viewpoint (line 1 of the label file) is read when the label folder exists
    (``viewpoint`` -1 for an image without a label file; their number is logged).

    Args:
        mode (str): ``'train'`` or ``'test'``. Defaults to 'train'.
        ann_file (str): The train list, relative to ``data_root``. Defaults to
            'data/train_test_split/verification/verification_train.txt'.
        pair_files (dict[str, str], optional): Test pair files, name → path relative to
            ``data_root``. None means the three CompCars files as ``model_easy``,
            ``model_medium``, ``model_hard``. Defaults to None.
        label_level (str): ``'year'`` (positive set = make, model and year) or ``'model'``.
            Defaults to 'year'.
        derive_year_pairs (bool): Also score every ``model_<x>`` pair file at year level, as
            ``year_<x>``: label 1 when make, model *and* year in the two paths match. This is
            how year-level accuracy is measured on real CompCars, which has no year-level
            files; SynthCars writes its own year files, read as they are. Defaults to False.
        read_label_files (bool): Read ``data/label/`` (viewpoint, car box) when the folder
            exists. Defaults to True.
        crop_to_car_box (bool): Crop every image to the car box of its label file (done by
            ``LoadVehicleImage`` through the sample's ``crop_bbox``); every image then needs a
            label file with a box. The paper does not crop. Defaults to False.
        data_prefix (dict): ``img`` and ``label`` folders relative to ``data_root``.
            Defaults to dict(img='data/image/', label='data/label/').
        **kwargs: Arguments of mmengine's ``BaseDataset`` (``data_root``, ``pipeline``, ...).
    """

    DEFAULT_PAIR_FILES = {
        f'model_{level}': f'data/train_test_split/verification/verification_pairs_{level}.txt'
        for level in ('easy', 'medium', 'hard')
    }

    def __init__(self,
                 mode: str = 'train',
                 ann_file: str = 'data/train_test_split/verification/verification_train.txt',
                 pair_files: Optional[Dict[str, str]] = None,
                 label_level: str = 'year',
                 derive_year_pairs: bool = False,
                 read_label_files: bool = True,
                 crop_to_car_box: bool = False,
                 data_prefix: dict = dict(img='data/image/', label='data/label/'),
                 **kwargs) -> None:
        if label_level not in ('year', 'model'):
            raise ValueError(f"label_level must be 'year' or 'model', got {label_level!r}")
        if crop_to_car_box and not read_label_files:
            raise ValueError('crop_to_car_box=True needs read_label_files=True')
        self.label_level = label_level
        self.pair_files = dict(self.DEFAULT_PAIR_FILES if pair_files is None else pair_files)
        if not self.pair_files:
            raise ValueError('pair_files is empty: give at least one pair file')
        self.derive_year_pairs = derive_year_pairs
        self.read_label_files = read_label_files
        self.crop_to_car_box = crop_to_car_box
        super().__init__(mode=mode, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    # ----------------------------------------------------------------- parsing helpers
    @staticmethod
    def _parse_image_path(line: Line, rel: str) -> Tuple[int, int, int]:
        """(make_id, model_id, year) from a path relative to ``data/image/``."""
        parts = rel.split('/')
        if len(parts) != 4 or not all(parts):
            raise line.error(f'image path {rel!r} is not of the form {IMAGE_PATH_FORM}')
        make, model, year = (line.to_int(t, name)
                             for t, name in zip(parts[:3], ('make id', 'model id', 'year')))
        return make, model, year

    def _raw_label(self, model: int, year: int) -> int:
        return model * 10000 + year if self.label_level == 'year' else model

    def _sample(self, rel: str, key: Tuple[int, int, int], id_label: int) -> dict:
        """The sample of one image (``viewpoint`` -1 until its label file is read)."""
        make, model, year = key
        img_root = self.data_prefix['img']
        return self.make_sample(osp.abspath(osp.join(img_root, rel)), rel, id_label,
                                coarse_label=model, make_id=make, model_id=model, year=year,
                                viewpoint=-1)

    def _attach_labels(self, samples: List[dict]) -> None:
        """Read the label files (viewpoint, car box) into ``samples``."""
        if not self.read_label_files:
            return
        label_root = self.data_prefix['label']
        if not osp.isdir(label_root):
            if self.crop_to_car_box:
                require_dir(label_root, 'CompCars label folder (needed by crop_to_car_box)')
            print_log(f'CompCars: no label folder at {label_root}; viewpoints are -1',
                      logger='current', level=logging.INFO)
            return
        index = FileIndex()
        missing = 0
        for sample in samples:
            label_path = osp.join(label_root, osp.splitext(sample['img_id'])[0] + '.txt')
            if not index.exists(label_path):
                if self.crop_to_car_box:
                    raise FileNotFoundError(
                        f'CompCars label file not found: {label_path} (crop_to_car_box=True '
                        f'needs the car box of {sample["img_path"]})')
                missing += 1
                continue
            viewpoint, box = read_compcars_label(label_path)
            sample['viewpoint'] = viewpoint
            if self.crop_to_car_box:
                if box is None:
                    raise data_error(label_path, 'lists no car box (crop_to_car_box=True)')
                sample['crop_bbox'] = box
                sample['label_path'] = label_path
        if missing:
            print_log(
                f'CompCars: {missing} of {len(samples)} images have no label file under '
                f'{label_root}; their viewpoint is -1', logger='current', level=logging.WARNING)

    # ----------------------------------------------------------------- loading
    def load_data_list(self) -> List[dict]:
        """Read the train list (``mode='train'``) or the pair files (``mode='test'``)."""
        require_dir(self.data_prefix['img'], 'CompCars image folder')
        samples = self._load_train() if self.mode == 'train' else self._load_test()
        self._attach_labels(samples)
        return samples

    def _load_train(self) -> List[dict]:
        lines = read_lines(self.ann_file, 'CompCars verification train list')
        seen: Dict[str, Line] = {}
        rels, keys = [], []
        for line in lines:
            rel = line.fields(1, form=IMAGE_PATH_FORM)[0]
            check_duplicate(seen, rel, line, 'image')
            keys.append(self._parse_image_path(line, rel))
            rels.append(rel)
        img_root = self.data_prefix['img']
        check_images_exist((osp.join(img_root, rel), line) for rel, line in zip(rels, lines))
        classes = [(model, year) if self.label_level == 'year' else model
                   for _, model, year in keys]
        labels, _ = contiguous_labels(classes)
        return [self._sample(rel, key, label) for rel, key, label in zip(rels, keys, labels)]

    def _load_test(self) -> List[dict]:
        names = list(self.pair_files)
        if self.derive_year_pairs:
            for name in names:
                if not name.startswith('model_'):
                    raise ValueError(f'derive_year_pairs=True: pair file name {name!r} does '
                                     "not start with 'model_'")
                year_name = 'year_' + name[len('model_'):]
                if year_name in self.pair_files:
                    raise ValueError(f'derive_year_pairs=True would replace the given pair '
                                     f'file {year_name!r}; remove one of them')
        img_root = self.data_prefix['img']
        index = FileIndex()
        first_seen: Dict[str, Tuple[int, int, int]] = {}
        pairs = {}
        for name in names:
            path = self.root_path(self.pair_files[name])
            pair, derived = self._read_pairs(name, path, img_root, index, first_seen)
            pairs[name] = pair
            if self.derive_year_pairs:
                pairs['year_' + name[len('model_'):]] = derived
        self._metainfo['pairs'] = pairs
        return [self._sample(rel, key, self._raw_label(key[1], key[2]))
                for rel, key in first_seen.items()]

    def _read_pairs(self, name: str, path: str, img_root: str, index: FileIndex,
                    first_seen: Dict[str, Tuple[int, int, int]]) -> Tuple[dict, dict]:
        """Read one pair file; return its entry and its year-level relabelling."""
        lines = read_lines(path, f'CompCars pair file {name!r}')
        ids1, ids2, labels, year_labels = [], [], [], []
        for line in lines:
            rel1, rel2, label_text = line.fields(3, form='<path1> <path2> <label>')
            label = line.to_int(label_text, 'label')
            if label not in (0, 1):
                raise line.error(f'label must be 0 or 1, got {label}')
            key1, key2 = (self._pair_image(line, rel, img_root, index, first_seen)
                          for rel in (rel1, rel2))
            same_model = key1[:2] == key2[:2]
            same_year = same_model and key1[2] == key2[2]
            for prefix, same, level in (('model_', same_model, 'make and model'),
                                        ('year_', same_year, 'make, model and year')):
                if name.startswith(prefix) and label != int(same):
                    agree = 'agree' if same else 'do not agree'
                    raise line.error(f'label {label} contradicts the paths, which {agree} in '
                                     f'{level}, in {prefix[:-1]}-level pair file {name!r}')
            ids1.append(rel1)
            ids2.append(rel2)
            labels.append(label)
            year_labels.append(int(same_year))
        pair = dict(img_id1=ids1, img_id2=ids2, label=np.asarray(labels, dtype=np.int64),
                    file=path)
        derived = dict(img_id1=list(ids1), img_id2=list(ids2),
                       label=np.asarray(year_labels, dtype=np.int64), file=path)
        return pair, derived

    def _pair_image(self, line: Line, rel: str, img_root: str, index: FileIndex,
                    first_seen: Dict[str, Tuple[int, int, int]]) -> Tuple[int, int, int]:
        """Parse and (the first time) check one image of a pair."""
        key = first_seen.get(rel)
        if key is None:
            key = self._parse_image_path(line, rel)
            check_images_exist([(osp.join(img_root, rel), line)], index)
            first_seen[rel] = key
        return key
