"""Image lists: folders, list files with and without labels, label regexes, errors."""
import os.path as osp

import pytest

from eianet_mm.apis import collect_images, read_image_list, write_image_list
from eianet_mm.apis.image_list import parse_list_line


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'x')
    return str(path)


def test_parse_list_line():
    assert parse_list_line('a/b.jpg\n') == ('a/b.jpg', None)
    assert parse_list_line('a/b.jpg 17\n') == ('a/b.jpg', '17')
    assert parse_list_line('my dir/b.jpg\t3/4/2011\n') == ('my dir/b.jpg', '3/4/2011')
    with pytest.raises(ValueError, match='3 fields'):
        parse_list_line('my dir/b.jpg 17')


def test_read_list_resolves_relative_paths_and_labels(tmp_path):
    listing = tmp_path / 'lists' / 'q.txt'
    listing.parent.mkdir()
    listing.write_text('# queries\nimg/a.jpg 1\n\n/abs/b.jpg 2\n')
    paths, labels = read_image_list(str(listing))
    assert paths == [osp.join(str(tmp_path / 'lists'), 'img/a.jpg'), '/abs/b.jpg']
    assert labels == ['1', '2']
    paths, _ = read_image_list(str(listing), root='/data')
    assert paths[0] == '/data/img/a.jpg'


def test_read_list_errors_name_file_and_line(tmp_path):
    listing = tmp_path / 'mixed.txt'
    listing.write_text('a.jpg 1\nb.jpg\n')
    with pytest.raises(ValueError, match=r'mixed.txt, line 2: some lines have a label'):
        read_image_list(str(listing))
    listing.write_text('a.jpg 1 2\n')
    with pytest.raises(ValueError, match=r'mixed.txt, line 1: .*3 fields'):
        read_image_list(str(listing))
    listing.write_text('\n# nothing\n')
    with pytest.raises(ValueError, match='names no image'):
        read_image_list(str(listing))
    with pytest.raises(FileNotFoundError, match='gone.txt'):
        read_image_list(str(tmp_path / 'gone.txt'))


def test_collect_folder_list_and_files(tmp_path):
    a = touch(tmp_path / 'gallery' / '0002_c001.jpg')
    b = touch(tmp_path / 'gallery' / 'sub' / '0003_c002.png')
    touch(tmp_path / 'gallery' / 'notes.md')
    paths, labels = collect_images([str(tmp_path / 'gallery')])
    assert paths == [a, b] and labels is None
    paths, labels = collect_images([str(tmp_path / 'gallery')], label_regex=r'(\d+)_c')
    assert labels == ['0002', '0003']
    with pytest.raises(ValueError, match=r'does not match sub/0003_c002.png'):
        collect_images([str(tmp_path / 'gallery')], label_regex=r'^(\d+)_c')
    with pytest.raises(ValueError, match='has no group'):
        collect_images([a], label_regex=r'\d+')

    listing = tmp_path / 'list.txt'
    listing.write_text('gallery/0002_c001.jpg 7\n')
    paths, labels = collect_images([str(listing)])
    assert paths == [osp.join(str(tmp_path), 'gallery/0002_c001.jpg')] and labels == ['7']
    with pytest.raises(ValueError, match='some images have labels'):
        collect_images([str(listing), a])


def test_collect_names_the_missing_image(tmp_path):
    listing = tmp_path / 'list.txt'
    listing.write_text('missing_one.jpg\nmissing_two.jpg\n')
    with pytest.raises(FileNotFoundError, match=r'missing_one.jpg \(and 1 more\)'):
        collect_images([str(listing)])
    with pytest.raises(FileNotFoundError, match='not an image folder, list file or image: '
                       '.*nowhere'):
        collect_images([str(tmp_path / 'nowhere')])
    with pytest.raises(FileNotFoundError, match='image not found: .*lost.jpg'):
        collect_images([str(tmp_path / 'lost.jpg')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='no image .* found under .*empty'):
        collect_images([str(tmp_path / 'empty')])


def test_write_then_read_roundtrip(tmp_path):
    out = write_image_list(str(tmp_path / 'o' / 'feats.txt'), ['/x/a b.jpg', '/x/c.jpg'],
                           ['1', '2'])
    assert read_image_list(out) == (['/x/a b.jpg', '/x/c.jpg'], ['1', '2'])
    out = write_image_list(str(tmp_path / 'plain.txt'), ['/x/a.jpg'])
    assert read_image_list(out) == (['/x/a.jpg'], None)
    with pytest.raises(ValueError, match='1 labels for 2 images'):
        write_image_list(str(tmp_path / 'bad.txt'), ['a', 'b'], ['1'])
