"""VERI-Wild: train list, Small/Medium/Large query and gallery lists, cameras."""
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmdet.registry import DATASETS

from .base_vehicle_dataset import BaseVehicleDataset
from .parsing import (FileIndex, Line, check_duplicate, check_images_exist, contiguous_labels,
                      data_error, read_lines, require_dir)

__all__ = ['VeRiWildDataset', 'read_veriwild_vehicle_info']

LIST_FORMS = '<vid>/<imgid> or <vid>/<imgid>.jpg <pid> <camid>'
INFO_FORM = 'vid/imgid;camid;time;model;type;color'


def read_veriwild_vehicle_info(path: str,
                               encoding: str = 'utf-8') -> Dict[str, Tuple[int, str]]:
    """Read ``vehicle_info.txt``: a header line, then ``vid/imgid;camid;time;model;type;color``.

    The first line is taken as the header when its camera field is not an integer (a copy
    without the header loses no line).

    Args:
        path (str): The file.
        encoding (str): Its text encoding. Defaults to 'utf-8'.

    Returns:
        dict[str, tuple[int, str]]: ``'<vid>/<imgid>'`` → (camera id, model name).
    """
    lines = read_lines(path, 'VERI-Wild vehicle_info.txt', encoding)
    first = lines[0].text.split(';')
    if len(first) > 1 and not first[1].strip().lstrip('-').isdigit():
        lines = lines[1:]
    if not lines:
        raise data_error(path, 'VERI-Wild vehicle_info.txt has a header line but no entries')
    info: Dict[str, Tuple[int, str]] = {}
    seen: Dict[str, Line] = {}
    for line in lines:
        key, cam_text, _, model, _, _ = line.fields(6, sep=';', form=INFO_FORM)
        _split_key(line, key)
        check_duplicate(seen, key, line, 'image')
        info[key] = (line.to_int(cam_text, 'camera id'), model)
    return info


def _split_key(line: Line, key: str) -> Tuple[str, str]:
    """(vid, imgid) of ``<vid>/<imgid>``, with the vid checked to be an integer."""
    parts = key.split('/')
    if len(parts) != 2 or not all(parts):
        raise line.error(f'image {key!r} is not of the form <vid>/<imgid>')
    line.to_int(parts[0], 'vehicle id')
    return parts[0], parts[1]


@DATASETS.register_module()
class VeRiWildDataset(BaseVehicleDataset):
    """VERI-Wild, in the real on-disk layout.

    Under ``data_root``: ``images/<vid>/<imgid>.jpg``; ``train_test_split/train_list.txt``,
    ``test_{3000,5000,10000}_query.txt`` (the queries) and ``test_{3000,5000,10000}.txt``
    (the gallery), each line ``<vid>/<imgid>`` or ``<vid>/<imgid>.jpg <pid> <camid>`` (both
    accepted, also mixed); ``vehicle_info.txt`` (a header line, then
    ``vid/imgid;camid;time;model;type;color``) gives cameras and models.

    The vehicle id is the ``<vid>`` folder; a ``<pid>`` field must equal it. The camera is the
    line's ``<camid>`` when given (it must then agree with ``vehicle_info.txt``), else the
    one in ``vehicle_info.txt``; a test image without either is an error, a training image
    gets -1. ``coarse_label`` indexes the model names of ``vehicle_info.txt`` (sorted; -1
    without it). ``mode='train'``: contiguous ``id_label``. ``mode='test'``: the query list
    (``is_query=True``) then the gallery list, raw ids, ``metainfo['protocol'] = 'veri'``.

    Args:
        mode (str): ``'train'`` or ``'test'``. Defaults to 'train'.
        subset (str): Test split: ``'small'`` (3,000 ids), ``'medium'`` (5,000) or
            ``'large'`` (10,000). Defaults to 'small'.
        vehicle_info (str, optional): ``vehicle_info.txt`` relative to ``data_root``; None
            looks in ``train_test_split/`` then in ``data_root``. Defaults to None.
        vehicle_info_encoding (str): Text encoding of ``vehicle_info.txt`` (its model names
            may be Chinese; set ``'gbk'`` for a GBK copy). Defaults to 'utf-8'.
        data_prefix (dict): ``img``: the image folder relative to ``data_root``. Defaults to
            dict(img='images/').
        **kwargs: Arguments of mmengine's ``BaseDataset`` (``data_root``, ``pipeline``, ...).
    """

    METAINFO = dict(protocol='veri')
    SUBSETS = {'small': 3000, 'medium': 5000, 'large': 10000}
    SPLIT_DIR = 'train_test_split'

    def __init__(self,
                 mode: str = 'train',
                 subset: str = 'small',
                 vehicle_info: Optional[str] = None,
                 vehicle_info_encoding: str = 'utf-8',
                 data_prefix: dict = dict(img='images/'),
                 **kwargs) -> None:
        if subset not in self.SUBSETS:
            raise ValueError(f'subset must be one of {sorted(self.SUBSETS)}, got {subset!r}')
        self.subset = subset
        self.vehicle_info = vehicle_info
        self.vehicle_info_encoding = vehicle_info_encoding
        super().__init__(mode=mode, data_prefix=data_prefix, **kwargs)

    def _find_vehicle_info(self) -> Optional[str]:
        if self.vehicle_info is not None:
            return self.root_path(self.vehicle_info)  # given: must exist (read_lines checks)
        for candidate in (self.root_path(self.SPLIT_DIR, 'vehicle_info.txt'),
                          self.root_path('vehicle_info.txt')):
            if osp.exists(candidate):
                return candidate
        return None

    def load_data_list(self) -> List[dict]:
        """Read the lists (and ``vehicle_info.txt``), check the images exist."""
        img_root = self.data_prefix['img']
        require_dir(img_root, 'VERI-Wild image folder')
        info_path = self._find_vehicle_info()
        info = read_veriwild_vehicle_info(info_path, self.vehicle_info_encoding) \
            if info_path else {}
        model_index = contiguous_labels([model for _, model in info.values()])[1]
        size = self.SUBSETS[self.subset]
        if self.mode == 'train':
            lists = [('train_list.txt', False)]
        else:
            lists = [(f'test_{size}_query.txt', True), (f'test_{size}.txt', False)]
        entries = []  # (img_id, vid, cam, model, is_query, line)
        index = FileIndex()
        for list_name, is_query in lists:
            path = self.root_path(self.SPLIT_DIR, list_name)
            lines = read_lines(path, 'VERI-Wild list')
            seen: Dict[str, Line] = {}
            part = []
            for line in lines:
                key, cam = self._parse_list_line(line, info, info_path)
                check_duplicate(seen, key, line, 'image')
                vid = int(key.split('/')[0])
                model = model_index[info[key][1]] if key in info else -1
                part.append((key + '.jpg', vid, cam, model, is_query, line))
            check_images_exist(((osp.join(img_root, e[0]), e[-1]) for e in part), index)
            entries.extend(part)
        raw = [vid for _, vid, _, _, _, _ in entries]
        labels = contiguous_labels(raw)[0] if self.mode == 'train' else raw
        return [
            self.make_sample(osp.abspath(osp.join(img_root, img_id)), img_id, label,
                             coarse_label=model, cam_id=cam, is_query=is_query)
            for (img_id, _, cam, model, is_query, _), label in zip(entries, labels)
        ]

    def _parse_list_line(self, line: Line, info: Dict[str, Tuple[int, str]],
                         info_path: Optional[str]) -> Tuple[str, int]:
        """(``'<vid>/<imgid>'``, camera id) of one list line, in either format."""
        fields = line.fields((1, 3), form=LIST_FORMS)
        name = fields[0]
        key = name[:-4] if name.lower().endswith('.jpg') else name
        vid, _ = _split_key(line, key)
        known = info.get(key)
        if len(fields) == 3:
            pid = line.to_int(fields[1], 'pid')
            if pid != int(vid):
                raise line.error(f'pid {pid} differs from the vehicle folder {vid}')
            cam = line.to_int(fields[2], 'camid')
            if known is not None and known[0] != cam:
                raise line.error(f'camid {cam} disagrees with {info_path} (camera {known[0]})')
            return key, cam
        if known is not None:
            return key, known[0]
        if self.mode == 'test':
            where = info_path or 'vehicle_info.txt (not found in ' \
                f'{self.root_path(self.SPLIT_DIR)} nor {self.root_path()})'
            raise line.error(f'no camera id for {key}: the line has none and it is not in '
                             f'{where}')
        return key, -1
