"""VehicleID: re-ID (train list, test lists 800/1600/2400) and model labels."""
import logging
import os.path as osp
from typing import Dict, List

from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .base_vehicle_dataset import BaseVehicleDataset
from .parsing import (Line, check_duplicate, check_images_exist, contiguous_labels, data_error,
                      read_lines, require_dir)

__all__ = ['VehicleIDDataset', 'read_vehicleid_model_attr']


def read_vehicleid_model_attr(path: str) -> Dict[int, int]:
    """Read ``attribute/model_attr.txt``: lines ``<vehicle id> <model id>``.

    Args:
        path (str): The file.

    Returns:
        dict[int, int]: Vehicle id → model id (only the vehicles that have a model).
    """
    models: Dict[int, int] = {}
    seen: Dict[int, Line] = {}
    for line in read_lines(path, 'VehicleID model attribute file'):
        vid_text, model_text = line.fields(2, form='<vehicle id> <model id>')
        vid = line.to_int(vid_text, 'vehicle id')
        check_duplicate(seen, vid, line, 'vehicle id')
        models[vid] = line.to_int(model_text, 'model id')
    return models


@DATASETS.register_module()
class VehicleIDDataset(BaseVehicleDataset):
    """VehicleID, in the real on-disk layout (also written by SynthCars).

    Under ``data_root``: ``image/<name>.jpg``, ``train_test_split/train_list.txt`` and
    ``test_list_{800,1600,2400,...}.txt`` (lines ``<image name without ext> <vehicle id>``),
    ``attribute/model_attr.txt`` (``<vehicle id> <model id>``, optional).

    ``id_label`` is the vehicle id (``label_level='vehicle'``) or the model id
    (``'model'``), contiguous on ``mode='train'`` and raw on ``'test'``; ``coarse_label`` is
    the model id (-1 when the vehicle has none); ``cam_id`` is -1 (VehicleID has no
    cameras). Test sets carry ``metainfo['protocol'] = 'vehicleid'``: the metric draws the
    gallery (one random image per id, 10 seeded draws), so ``is_query`` is False for every
    image here.

    Args:
        mode (str): ``'train'`` or ``'test'``. Defaults to 'train'.
        ann_file (str): The list to read, relative to ``data_root``; empty means
            ``train_test_split/train_list.txt`` for training and the ``subset`` list for
            testing. Defaults to ''.
        subset (str): Test list when ``ann_file`` is empty: ``'small'`` (800 ids),
            ``'medium'`` (1600) or ``'large'`` (2400). Defaults to 'small'.
        label_level (str): ``'vehicle'`` (re-ID) or ``'model'`` (model verification; needs
            ``with_model_only=True``). Defaults to 'vehicle'.
        with_model_only (bool): Keep only the images whose vehicle has a model label (the
            paper's model-verification subset). Defaults to False.
        model_attr (str): The model attribute file, relative to ``data_root``; read when
            present (required by ``with_model_only``). Defaults to
            'attribute/model_attr.txt'.
        data_prefix (dict): ``img``: the image folder relative to ``data_root``. Defaults to
            dict(img='image/').
        **kwargs: Arguments of mmengine's ``BaseDataset`` (``data_root``, ``pipeline``, ...).
    """

    METAINFO = dict(protocol='vehicleid')
    SUBSETS = {
        'small': 'test_list_800.txt',
        'medium': 'test_list_1600.txt',
        'large': 'test_list_2400.txt'
    }

    def __init__(self,
                 mode: str = 'train',
                 ann_file: str = '',
                 subset: str = 'small',
                 label_level: str = 'vehicle',
                 with_model_only: bool = False,
                 model_attr: str = 'attribute/model_attr.txt',
                 data_prefix: dict = dict(img='image/'),
                 **kwargs) -> None:
        if subset not in self.SUBSETS:
            raise ValueError(f'subset must be one of {sorted(self.SUBSETS)}, got {subset!r}')
        if label_level not in ('vehicle', 'model'):
            raise ValueError(f"label_level must be 'vehicle' or 'model', got {label_level!r}")
        if label_level == 'model' and not with_model_only:
            raise ValueError("label_level='model' needs with_model_only=True (images without "
                             'a model label have no class)')
        if not ann_file:
            ann_file = 'train_test_split/' + ('train_list.txt'
                                              if mode == 'train' else self.SUBSETS[subset])
        self.subset = subset
        self.label_level = label_level
        self.with_model_only = with_model_only
        self.model_attr = model_attr
        super().__init__(mode=mode, ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the list, the model labels, and check the images exist."""
        model_attr = self.root_path(self.model_attr)
        if self.with_model_only or osp.exists(model_attr):
            models = read_vehicleid_model_attr(model_attr)
        else:
            models = {}
        img_root = self.data_prefix['img']
        require_dir(img_root, 'VehicleID image folder')
        entries = []
        seen: Dict[str, Line] = {}
        lines = read_lines(self.ann_file, 'VehicleID list')
        for line in lines:
            name, vid_text = line.fields(2, form='<image name> <vehicle id>')
            vid = line.to_int(vid_text, 'vehicle id')
            img_id = name if name.lower().endswith('.jpg') else name + '.jpg'
            check_duplicate(seen, img_id, line, 'image')
            if self.with_model_only and vid not in models:
                continue
            entries.append((img_id, vid, line))
        if self.with_model_only:
            if not entries:
                raise data_error(self.ann_file, f'no image of this list has a model label in '
                                 f'{model_attr} (with_model_only=True)')
            print_log(f'VehicleID: with_model_only keeps {len(entries)} of {len(lines)} images '
                      f'of {self.ann_file}', logger='current', level=logging.INFO)
        check_images_exist((osp.join(img_root, img_id), line) for img_id, _, line in entries)
        raw = [vid if self.label_level == 'vehicle' else models[vid] for _, vid, _ in entries]
        labels = contiguous_labels(raw)[0] if self.mode == 'train' else raw
        return [
            self.make_sample(osp.abspath(osp.join(img_root, img_id)), img_id, label,
                             coarse_label=models.get(vid, -1), vehicle_id=vid)
            for (img_id, vid, _), label in zip(entries, labels)
        ]
