"""VeRi-776: train, query and gallery lists, ids and cameras from the file names."""
import os.path as osp
import re
import xml.parsers.expat as expat
from typing import Dict, List, Tuple

from mmdet.registry import DATASETS

from .base_vehicle_dataset import BaseVehicleDataset
from .parsing import (Line, check_duplicate, check_images_exist, contiguous_labels, data_error,
                      read_lines, require_dir, require_file)

__all__ = ['VeRi776Dataset', 'parse_veri_name', 'parse_veri_xml']

_XML_DECL = re.compile(rb'^\s*<\?xml[^>]*?encoding\s*=\s*["\']([A-Za-z0-9._-]+)["\']')
NAME_FORM = '<vehicle id>_c<camera>_<...>.jpg'


def parse_veri_name(line: Line, name: str) -> Tuple[int, int]:
    """(vehicle id, camera id) from a VeRi file name such as ``0002_c002_00030600_0.jpg``.

    Args:
        line (Line): The list line naming the file (for errors).
        name (str): The file name.

    Returns:
        tuple[int, int]: Vehicle id and camera id.
    """
    parts = osp.splitext(name)[0].split('_')
    if len(parts) < 2 or not parts[1].startswith('c'):
        raise line.error(f'file name {name!r} is not of the form {NAME_FORM}')
    return line.to_int(parts[0], 'vehicle id'), line.to_int(parts[1][1:], 'camera id')


def _xml_int(path: str, line: int, attrs: Dict[str, str], key: str, strip: str = '') -> int:
    value = attrs[key]
    try:
        return int(value[len(strip):] if strip and value.startswith(strip) else value)
    except ValueError:
        raise data_error(path, f'attribute {key}={value!r} is not an integer', line) from None


def parse_veri_xml(path: str) -> List[dict]:
    """Parse a VeRi-776 label file (``train_label.xml`` / ``test_label.xml``).

    The files declare ``encoding="gb2312"``: the bytes are decoded with the declared
    encoding (UTF-8 when none is declared) before parsing.

    Args:
        path (str): The XML file.

    Returns:
        list[dict]: One dict per ``<Item>``: ``image_name`` (str), ``vehicle_id``,
        ``camera_id`` (``'c002'`` → 2), ``color_id``, ``type_id`` (int, -1 when absent)
        and ``line`` (its line in the file).
    """
    require_file(path, 'VeRi label XML')
    with open(path, 'rb') as f:
        data = f.read()
    if not data.strip():
        raise data_error(path, 'VeRi label XML is empty')
    match = _XML_DECL.match(data)
    encoding = match.group(1).decode('ascii') if match else 'utf-8'
    try:
        text = data.decode(encoding)
    except LookupError:
        raise data_error(path, f'declares an unknown encoding {encoding!r}', 1) from None
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise data_error(path, f'is not valid {encoding} text (the encoding it declares): '
                         f'byte 0x{data[e.start]:02x} at byte offset {e.start}', line) from None
    parser = expat.ParserCreate('UTF-8')  # overrides the declaration: ``text`` is decoded
    items: List[dict] = []

    def start(tag: str, attrs: Dict[str, str]) -> None:
        if tag != 'Item':
            return
        line = parser.CurrentLineNumber
        for key in ('imageName', 'vehicleID', 'cameraID'):
            if key not in attrs:
                raise data_error(path, f'<Item> has no {key} attribute', line)
        items.append(
            dict(image_name=attrs['imageName'],
                 vehicle_id=_xml_int(path, line, attrs, 'vehicleID'),
                 camera_id=_xml_int(path, line, attrs, 'cameraID', strip='c'),
                 color_id=_xml_int(path, line, attrs, 'colorID') if 'colorID' in attrs else -1,
                 type_id=_xml_int(path, line, attrs, 'typeID') if 'typeID' in attrs else -1,
                 line=line))

    parser.StartElementHandler = start
    try:
        parser.Parse(text.encode('utf-8'), True)
    except expat.ExpatError as e:
        raise data_error(path, f'malformed XML: {expat.ErrorString(e.code)} (column '
                         f'{e.offset})', e.lineno) from None
    return items


@DATASETS.register_module()
class VeRi776Dataset(BaseVehicleDataset):
    """VeRi-776, in the real on-disk layout (also written by SynthCars).

    Under ``data_root``: ``image_train/``, ``image_query/``, ``image_test/`` (the gallery)
    and ``name_{train,query,test}.txt`` (one file name per line, giving the order). A name
    ``0002_c002_00030600_0.jpg`` is vehicle 2 seen by camera 2. ``train_label.xml`` /
    ``test_label.xml`` are read when present: their ids and cameras must agree with the
    file names, and their colour and type become ``color_id`` / ``type_id`` (-1 when an
    image has no entry).

    ``mode='train'``: ``id_label`` contiguous over the vehicle ids. ``mode='test'``: the
    queries (``is_query=True``) then the gallery, raw ids, ``metainfo['protocol'] =
    'veri'`` (same id and same camera removed). ``img_id`` is the path relative to
    ``data_root`` (``image_query/<name>``), so a query and a gallery copy stay distinct.

    Args:
        mode (str): ``'train'`` or ``'test'``. Defaults to 'train'.
        **kwargs: Arguments of mmengine's ``BaseDataset`` (``data_root``, ``pipeline``, ...).
    """

    METAINFO = dict(protocol='veri')
    # (image folder, name list, label XML) of each part of the dataset.
    PARTS = {
        'train': ('image_train', 'name_train.txt', 'train_label.xml'),
        'query': ('image_query', 'name_query.txt', 'test_label.xml'),
        'gallery': ('image_test', 'name_test.txt', 'test_label.xml'),
    }

    def load_data_list(self) -> List[dict]:
        """Read the name lists (and label XMLs), check the images exist."""
        parts = ['train'] if self.mode == 'train' else ['query', 'gallery']
        xml_cache: Dict[str, Dict[str, dict]] = {}
        entries = []  # (folder, name, vid, cam, attrs, is_query)
        for part in parts:
            folder, list_name, xml_name = self.PARTS[part]
            img_dir = self.root_path(folder)
            require_dir(img_dir, f'VeRi-776 {part} image folder')
            if xml_name not in xml_cache:
                xml_cache[xml_name] = self._read_xml(self.root_path(xml_name))
            attrs_by_name = xml_cache[xml_name]
            lines = self._read_names(self.root_path(list_name), part)
            ids = [parse_veri_name(line, line.text) for line in lines]
            check_images_exist((osp.join(img_dir, line.text), line) for line in lines)
            for line, (vid, cam) in zip(lines, ids):
                attrs = attrs_by_name.get(line.text)
                if attrs is not None and (attrs['vehicle_id'], attrs['camera_id']) != (vid, cam):
                    raise data_error(
                        attrs['path'], f'{line.text}: vehicle {attrs["vehicle_id"]} camera '
                        f'{attrs["camera_id"]} disagree with the file name (vehicle {vid} '
                        f'camera {cam})', attrs['line'])
                entries.append((folder, line.text, vid, cam, attrs or {}, part == 'query'))
        raw = [vid for _, _, vid, _, _, _ in entries]
        labels = contiguous_labels(raw)[0] if self.mode == 'train' else raw
        return [
            self.make_sample(self.root_path(folder, name), f'{folder}/{name}', label,
                             cam_id=cam, is_query=is_query,
                             color_id=attrs.get('color_id', -1),
                             type_id=attrs.get('type_id', -1))
            for (folder, name, _, cam, attrs, is_query), label in zip(entries, labels)
        ]

    @staticmethod
    def _read_names(path: str, part: str) -> List[Line]:
        lines = read_lines(path, f'VeRi-776 {part} name list')
        seen: Dict[str, Line] = {}
        for line in lines:
            line.fields(1, form='<file name>')
            check_duplicate(seen, line.text, line, 'image')
        return lines

    @staticmethod
    def _read_xml(path: str) -> Dict[str, dict]:
        """Image name → XML item (with its ``path``), or {} when the file is absent."""
        if not osp.exists(path):
            return {}
        by_name: Dict[str, dict] = {}
        for item in parse_veri_xml(path):
            first = by_name.get(item['image_name'])
            if first is not None:
                raise data_error(path, f'duplicate image {item["image_name"]!r} (first at '
                                 f'line {first["line"]})', item['line'])
            by_name[item['image_name']] = dict(item, path=path)
        return by_name
