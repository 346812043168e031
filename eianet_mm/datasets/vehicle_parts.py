"""COCO-format vehicle part boxes (stage 1 of EIA-Net: training the part RPN)."""
import json
import logging
import os.path as osp
from collections import Counter
from typing import Dict, List, Tuple

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from .parsing import FileIndex, data_error, require_dir, require_file

__all__ = ['VehiclePartsDataset', 'SYNTHCARS_PART_CLASSES']

# The part classes of SynthCars, in order (bbox_label = index, COCO category id = index + 1).
SYNTHCARS_PART_CLASSES = ('head_light', 'tail_light', 'logo', 'plate', 'wind_glass',
                          'back_mirror', 'wheel')


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@DATASETS.register_module()
class VehiclePartsDataset(CocoDataset):
    """Part boxes in COCO format: ``images``, ``annotations`` (``[x, y, w, h]`` boxes),
    ``categories`` (the part classes, matched by name to ``metainfo['classes']``).

    The file is checked before use, each problem raising one error that names the file and
    the offending entry: invalid JSON (with its line), a missing section, duplicate image ids
    or file names, an image of width or height <= 0, a missing image file, an annotation of
    an unknown image or category id, duplicate annotation ids, a box of width or height
    <= 0, a box reaching more than ``box_tolerance`` pixels outside its image. A box that
    pokes out by at most ``box_tolerance`` is clipped to the image (the count is logged).
    Annotations of categories that are not in ``metainfo['classes']`` are left out on
    purpose (to train on a subset of the annotated parts, as the paper does); their count
    per category is logged. ``iscrowd=1`` boxes get ``ignore_flag=1``.

    Samples follow ``docs/interfaces.md`` (``instances`` with 0-based ``[x1, y1, x2, y2]``
    boxes and ``bbox_label`` = index in ``classes``), except ``img_id``, which stays the COCO
    image id (an int) as mmdet's ``CocoMetric`` requires; ``id_label``, ``coarse_label`` and
    ``cam_id`` are -1.

    Args:
        box_tolerance (float): How far (pixels) a box may reach outside its image and be
            clipped instead of rejected. Defaults to 2.0.
        **kwargs: Arguments of mmdet's ``CocoDataset`` (``ann_file``, ``data_root``,
            ``data_prefix=dict(img=...)``, ``metainfo=dict(classes=...)``, ``filter_cfg``,
            ``pipeline``, ...).
    """

    METAINFO = dict(
        classes=SYNTHCARS_PART_CLASSES,
        palette=[(220, 20, 60), (0, 0, 230), (250, 170, 30), (0, 160, 0), (106, 0, 228),
                 (0, 182, 199), (120, 120, 120)])

    def __init__(self, *args, box_tolerance: float = 2.0, **kwargs) -> None:
        if box_tolerance < 0:
            raise ValueError(f'box_tolerance must be >= 0, got {box_tolerance}')
        self.box_tolerance = box_tolerance
        super().__init__(*args, **kwargs)

    def _read_json(self) -> dict:
        path = self.ann_file
        require_file(path, 'part-box annotation file')
        with open(path, 'rb') as f:
            data = f.read()
        if not data.strip():
            raise data_error(path, 'part-box annotation file is empty')
        try:
            content = json.loads(data.decode('utf-8'))
        except UnicodeDecodeError as e:
            raise data_error(path, f'is not valid utf-8 text (byte 0x{data[e.start]:02x} at '
                             f'byte offset {e.start})',
                             data[:e.start].count(b'\n') + 1) from None
        except json.JSONDecodeError as e:
            raise data_error(path, f'invalid JSON: {e.msg} (column {e.colno})',
                             e.lineno) from None
        if not isinstance(content, dict):
            raise data_error(path, 'expected a COCO object with images, annotations and '
                             'categories')
        for key in ('images', 'annotations', 'categories'):
            if not isinstance(content.get(key), list):
                raise data_error(path, f'COCO section {key!r} is missing or not a list')
        return content

    def _read_categories(self, categories: List[dict]) -> Tuple[Dict[int, str], List[int]]:
        """Category id → name, and the ids of ``metainfo['classes']`` in class order."""
        path = self.ann_file
        names: Dict[int, str] = {}
        by_name: Dict[str, int] = {}
        for i, cat in enumerate(categories):
            if not isinstance(cat, dict) or not isinstance(cat.get('id'), int) or \
                    not isinstance(cat.get('name'), str):
                raise data_error(path, f'categories[{i}] needs an integer id and a name')
            if cat['id'] in names:
                raise data_error(path, f'categories[{i}]: duplicate category id {cat["id"]}')
            if cat['name'] in by_name:
                raise data_error(path, f'categories[{i}]: duplicate category name '
                                 f'{cat["name"]!r}')
            names[cat['id']] = cat['name']
            by_name[cat['name']] = cat['id']
        classes = self.metainfo['classes']
        missing = [c for c in classes if c not in by_name]
        if missing:
            raise data_error(path, f'part classes {missing} are not among the categories '
                             f'{sorted(by_name)} (set metainfo=dict(classes=...))')
        return names, [by_name[c] for c in classes]

    def _read_images(self, images: List[dict]) -> Dict[int, dict]:
        """Image id → sample skeleton; checks ids, names, sizes and files."""
        path = self.ann_file
        img_root = self.data_prefix.get('img', '')
        require_dir(img_root or '.', 'part-box image folder')
        index = FileIndex()
        by_id: Dict[int, dict] = {}
        names: Dict[str, int] = {}
        for i, img in enumerate(images):
            if not isinstance(img, dict) or not isinstance(img.get('id'), int) or \
                    not isinstance(img.get('file_name'), str):
                raise data_error(path, f'images[{i}] needs an integer id and a file_name')
            img_id, name = img['id'], img['file_name']
            if img_id in by_id:
                raise data_error(path, f'images[{i}]: duplicate image id {img_id} (first '
                                 f'for {by_id[img_id]["file_name"]!r})')
            if name in names:
                raise data_error(path, f'images[{i}]: duplicate file_name {name!r} (image '
                                 f'ids {names[name]} and {img_id})')
            width, height = img.get('width'), img.get('height')
            if not (_is_number(width) and _is_number(height)) or width <= 0 or height <= 0:
                raise data_error(path, f'images[{i}] ({name!r}): width and height must be '
                                 f'positive, got {width} x {height}')
            img_path = osp.abspath(osp.join(img_root, name))
            if not index.exists(img_path):
                raise data_error(path, f'images[{i}]: image not found: {img_path}')
            names[name] = img_id
            by_id[img_id] = dict(img_path=img_path, img_id=img_id, file_name=name,
                                 width=width, height=height, instances=[], id_label=-1,
                                 coarse_label=-1, cam_id=-1, is_query=False)
        return by_id

    def load_data_list(self) -> List[dict]:
        """Check and read the COCO file (see the class docstring)."""
        content = self._read_json()
        path = self.ann_file
        cat_names, self.cat_ids = self._read_categories(content['categories'])
        self.cat2label = {cat_id: label for label, cat_id in enumerate(self.cat_ids)}
        samples = self._read_images(content['images'])
        if not samples:
            raise data_error(path, "COCO section 'images' is empty")
        self.cat_img_map = {cat_id: set() for cat_id in self.cat_ids}
        ann_ids = set()
        clipped, left_out = 0, Counter()
        tol = self.box_tolerance
        for i, ann in enumerate(content['annotations']):
            where = f'annotations[{i}]'
            if not isinstance(ann, dict):
                raise data_error(path, f'{where} is not an object')
            if 'id' in ann:
                if ann['id'] in ann_ids:
                    raise data_error(path, f'{where}: duplicate annotation id {ann["id"]}')
                ann_ids.add(ann['id'])
                where += f' (id {ann["id"]})'
            sample = samples.get(ann.get('image_id'))
            if sample is None:
                raise data_error(path, f'{where}: unknown image id {ann.get("image_id")!r}')
            cat_id = ann.get('category_id')
            if cat_id not in cat_names:
                raise data_error(path, f'{where}: unknown category id {cat_id!r} (known: '
                                 f'{sorted(cat_names)})')
            bbox = ann.get('bbox')
            if not isinstance(bbox, list) or len(bbox) != 4 or not all(map(_is_number, bbox)):
                raise data_error(path, f'{where}: bbox must be [x, y, w, h], got {bbox!r}')
            x, y, w, h = bbox
            width, height = sample['width'], sample['height']
            name = sample['file_name']
            if w <= 0 or h <= 0:
                raise data_error(path, f'{where} in {name!r}: box {bbox} has width or height '
                                 '<= 0')
            x1, y1, x2, y2 = x, y, x + w, y + h
            if x1 < -tol or y1 < -tol or x2 > width + tol or y2 > height + tol:
                raise data_error(path, f'{where} in {name!r}: box [x1, y1, x2, y2] = '
                                 f'{[x1, y1, x2, y2]} lies outside the {width} x {height} '
                                 f'image by more than box_tolerance={tol} px')
            box = [min(max(x1, 0), width), min(max(y1, 0), height),
                   min(max(x2, 0), width), min(max(y2, 0), height)]
            if box != [x1, y1, x2, y2]:
                clipped += 1
            if cat_id not in self.cat2label:
                left_out[cat_names[cat_id]] += 1
                continue
            sample['instances'].append(
                dict(bbox=[float(v) for v in box], bbox_label=self.cat2label[cat_id],
                     ignore_flag=int(bool(ann.get('iscrowd', 0)))))
            self.cat_img_map[cat_id].add(sample['img_id'])
        if clipped:
            print_log(f'{path}: clipped {clipped} box(es) reaching at most {tol} px outside '
                      'their image', logger='current', level=logging.WARNING)
        if left_out:
            print_log(f'{path}: left out the boxes of categories not in classes: '
                      f'{dict(left_out)}', logger='current', level=logging.INFO)
        return list(samples.values())

    def filter_data(self) -> List[dict]:
        """mmdet's ``filter_cfg`` filter, with an error when it leaves no image."""
        kept = super().filter_data()
        if not kept:
            raise data_error(self.ann_file, f'no image is left after filter_cfg='
                             f'{self.filter_cfg} ({len(self.data_list)} before)')
        return kept
