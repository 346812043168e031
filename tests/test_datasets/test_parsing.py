import os

import pytest

from eianet_mm.datasets.parsing import (DataFormatError, FileIndex, Line, check_duplicate,
                                        contiguous_labels, read_lines, require_dir, require_file)


def test_read_lines_strips_blank_crlf_and_bom(tmp_path):
    path = tmp_path / 'l.txt'
    path.write_bytes(b'\xef\xbb\xbfa b\r\n\r\n  c d  \n\n')
    assert read_lines(str(path), 'list') == [Line(str(path), 1, 'a b'), Line(str(path), 3, 'c d')]


def test_read_lines_errors(tmp_path):
    path = tmp_path / 'l.txt'
    path.write_bytes(b'ok\nstill ok\nbad \xff byte\n')
    with pytest.raises(DataFormatError) as err:
        read_lines(str(path), 'my list')
    assert str(err.value) == (f'{path}:3: my list is not valid utf-8 text (byte 0xff at byte '
                              'offset 16)')
    assert (err.value.path, err.value.line) == (str(path), 3)
    path.write_bytes('gbk 中文\n'.encode('gbk'))
    assert read_lines(str(path), 'x', encoding='gbk')[0].text == 'gbk 中文'
    path.write_bytes(b' \n\t\n')
    with pytest.raises(DataFormatError, match='my list is empty'):
        read_lines(str(path), 'my list')
    with pytest.raises(FileNotFoundError, match='my list not found: .*nope.txt'):
        read_lines(str(tmp_path / 'nope.txt'), 'my list')
    with pytest.raises(DataFormatError, match='expected a file, found a folder'):
        read_lines(str(tmp_path), 'my list')


def test_require():
    with pytest.raises(FileNotFoundError, match='thing not found: /no/such'):
        require_file('/no/such', 'thing')
    with pytest.raises(FileNotFoundError, match='folder not found: /no/such'):
        require_dir('/no/such', 'folder')
    with pytest.raises(DataFormatError, match='expected a folder, found a file'):
        require_dir(__file__, 'folder')


def test_line_fields_and_ints():
    line = Line('f.txt', 4, 'a;b ; c')
    assert line.fields(3, sep=';') == ['a', 'b', 'c']
    assert Line('f.txt', 4, 'a  b').fields((1, 2)) == ['a', 'b']
    with pytest.raises(DataFormatError) as err:
        line.fields((1, 2), form='<x> [<y>]')
    assert str(err.value) == ("f.txt:4: wrong number of fields: expected 1 or 2 (<x> [<y>]), "
                              "got 3: 'a;b ; c'")
    assert Line('f', 1, '').to_int('-12', 'id') == -12
    with pytest.raises(DataFormatError, match="f:1: id is not an integer \\('1.5'\\)"):
        Line('f', 1, 'x').to_int('1.5', 'id')
    long = Line('f', 1, 'x' * 500)
    assert str(long.error('bad')).endswith("x" * 10 + "...'")


def test_check_duplicate_names_first_line():
    seen = {}
    check_duplicate(seen, 'k', Line('a.txt', 2, 'k'), 'image')
    with pytest.raises(DataFormatError, match=r"a.txt:9: duplicate image 'k' \(first listed at "
                       r'line 2\)'):
        check_duplicate(seen, 'k', Line('a.txt', 9, 'k'), 'image')
    with pytest.raises(DataFormatError, match=r'first listed at a.txt:2\)'):
        check_duplicate(seen, 'k', Line('b.txt', 1, 'k'), 'image')


def test_file_index_lists_each_folder_once(tmp_path, monkeypatch):
    (tmp_path / 'a.jpg').write_bytes(b'x')
    calls = []
    real = os.listdir
    monkeypatch.setattr(os, 'listdir', lambda d: calls.append(d) or real(d))
    index = FileIndex()
    assert index.exists(str(tmp_path / 'a.jpg'))
    assert not index.exists(str(tmp_path / 'b.jpg'))
    assert not index.exists(str(tmp_path / 'nowhere' / 'c.jpg'))
    assert calls == [str(tmp_path), str(tmp_path / 'nowhere')]


def test_contiguous_labels():
    labels, mapping = contiguous_labels([30, 5, 30, 12])
    assert labels == [2, 0, 2, 1] and mapping == {5: 0, 12: 1, 30: 2}
