"""The package's own build backend (bindings/python/_backend), through its
PEP 517 hooks.  pip's use of it, offline in a fresh venv, is
venv_install_test.py; these check what pip does not: the archives'
contents and the backend's refusals.  Each test builds from a copy of
bindings/python so nothing is written into the source tree."""
import base64
import csv
import hashlib
import importlib.util
import io
import os
import shutil
import tarfile
import zipfile

import pytest

from conftest import PACKAGE_DIR


@pytest.fixture
def tree(tmp_path):
    """A copy of bindings/python (without caches)."""
    root = tmp_path / "python"
    shutil.copytree(PACKAGE_DIR, root,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return root


@pytest.fixture
def dist(tmp_path):
    """An empty directory for the built archives."""
    path = tmp_path / "dist"
    path.mkdir()
    return path


def backend(root):
    """The backend module of the tree at ``root`` (it builds the tree it
    sits in)."""
    path = root / "_backend" / "metalearn_build.py"
    spec = importlib.util.spec_from_file_location("metalearn_build_%d" % id(root),
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sources(root):
    return sorted(os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/")
                  for d, dirs, files in os.walk(root / "metalearn")
                  for f in files if not f.endswith(".pyc"))


def test_wheel(tree, dist):
    name = backend(tree).build_wheel(str(dist))
    assert name == "metalearn-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(dist / name) as zf:
        names = zf.namelist()
        info = "metalearn-0.1.0.dist-info/"
        assert sorted(n for n in names if not n.startswith(info)) == sources(tree)
        record = list(csv.reader(io.StringIO(zf.read(info + "RECORD").decode())))
        # Every file but RECORD itself, with its true hash and size.
        assert sorted(r[0] for r in record) == sorted(names)
        for path, digest, size in record:
            if path == info + "RECORD":
                assert digest == size == ""
                continue
            data = zf.read(path)
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
            assert digest == "sha256=" + want.rstrip(b"=").decode(), path
            assert int(size) == len(data), path
        meta = zf.read(info + "METADATA").decode()
        wheel = zf.read(info + "WHEEL").decode()
    head = meta.split("\n\n", 1)[0].splitlines()
    assert "Name: metalearn" in head and "Version: 0.1.0" in head
    assert "Requires-Python: >=3.8" in head
    assert 'Requires-Dist: numpy; extra == "numpy"' in head
    assert "Provides-Extra: numpy" in head
    assert meta.split("\n\n", 1)[1].startswith("# metalearn")  # the README
    assert "Tag: py3-none-any" in wheel.splitlines()


def test_wheel_ships_a_library_copy_but_sdist_does_not(tree, dist):
    (tree / "metalearn" / "libmetalearn.so.0").write_bytes(b"\x7fELF stand-in")
    be = backend(tree)
    with zipfile.ZipFile(dist / be.build_wheel(str(dist))) as zf:
        assert zf.read("metalearn/libmetalearn.so.0") == b"\x7fELF stand-in"
    with tarfile.open(dist / be.build_sdist(str(dist))) as tf:
        names = tf.getnames()
    assert not [n for n in names if "libmetalearn" in n]


def test_sdist_builds_again(tree, dist, tmp_path):
    name = backend(tree).build_sdist(str(dist))
    assert name == "metalearn-0.1.0.tar.gz"
    with tarfile.open(dist / name) as tf:
        names = tf.getnames()
        assert "metalearn-0.1.0/PKG-INFO" in names
        assert "metalearn-0.1.0/_backend/metalearn_build.py" in names
        tf.extractall(tmp_path / "unpacked")
    # The unpacked sdist is a source tree the backend builds a wheel from.
    unpacked = tmp_path / "unpacked" / "metalearn-0.1.0"
    assert sources(unpacked) == sources(tree)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    assert backend(unpacked).build_wheel(str(wheels)).endswith(".whl")


def test_editable_wheel_points_at_the_tree(tree, dist):
    name = backend(tree).build_editable(str(dist))
    with zipfile.ZipFile(dist / name) as zf:
        assert zf.read("metalearn.pth").decode().strip() == str(tree)
        assert not [n for n in zf.namelist() if n.startswith("metalearn/")]


def test_version_mismatch_is_refused(tree, tmp_path):
    path = tree / "metalearn" / "_version.py"
    path.write_text(path.read_text().replace('"0.1.0"', '"0.2.0"'))
    with pytest.raises(ValueError, match="0.2.0"):
        backend(tree).build_wheel(str(tmp_path))


def test_unknown_project_key_is_refused(tree, tmp_path):
    path = tree / "pyproject.toml"
    path.write_text(path.read_text().replace(
        "[project]\n", '[project]\nkeywords = ["meta-learning"]\n'))
    with pytest.raises(ValueError, match="keywords"):
        backend(tree).build_wheel(str(tmp_path))


def test_no_build_requirements(tree):
    """An offline pip can only build the package if the backend asks for
    nothing (on Python 3.11+, which has tomllib)."""
    tomllib = pytest.importorskip("tomllib")
    be = backend(tree)
    with open(tree / "pyproject.toml", "rb") as f:
        assert tomllib.load(f)["build-system"]["requires"] == []
    assert be.get_requires_for_build_wheel() == []
    assert be.get_requires_for_build_editable() == []
