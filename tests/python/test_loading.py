"""Loading the library, the version checks and the function table."""
import ctypes
import os
import re
import shutil

import pytest

from conftest import PACKAGE_DIR, include_dir, library_path, run_python

from metalearn import _lib


def test_version(ml):
    with open(os.path.join(include_dir(), "metalearn.h"), encoding="utf-8") as f:
        header = f.read()
    major, minor, patch = (
        int(re.search(r"#define ML_VERSION_%s (\d+)" % k, header).group(1))
        for k in ("MAJOR", "MINOR", "PATCH"))
    assert ml.version() == "%d.%d.%d" % (major, minor, patch)
    assert ml.version_number() == major * 10000 + minor * 100 + patch
    assert ml.version_number() // 10000 == int(ml.__version__.split(".")[0])
    assert os.path.samefile(ml.library_path, library_path())


def test_status_str_and_last_error(ml):
    assert ml.status_str(-2).startswith("ML_ERR_NOMEM: ")
    assert ml.status_str(0).startswith("ML_OK")
    assert ml.status_str(12345) == "unknown status"
    with pytest.raises(ml.InvalidArgument) as e:
        ml.Model.mlp(1, [0])
    assert ml.last_error() == e.value.message
    with pytest.raises(TypeError):
        ml.status_str("x")


def test_package_version_matches_pyproject(ml):
    with open(os.path.join(PACKAGE_DIR, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    assert re.search(r'^version = "([^"]+)"', text, re.M).group(1) == ml.__version__


# ---- the table against the header ----------------------------------------

_HANDLES = {"ml_model": _lib.MODEL, "ml_task": _lib.TASK,
            "ml_sampler": _lib.SAMPLER, "ml_dataset": _lib.DATASET,
            "ml_optimizer": _lib.OPTIMIZER,
            "ml_learner": _lib.LEARNER, "ml_problems": _lib.PROBLEMS}
# Function pointer types, passed by value.
_CALLBACKS = {"ml_problem_sample_fn": _lib.SAMPLE_FN,
              "ml_problem_objective_fn": _lib.OBJECTIVE_FN,
              "ml_problem_release_fn": _lib.RELEASE_FN}
_ENUMS = {"ml_layer_kind", "ml_set", "ml_sampler_param", "ml_optimizer_kind",
          "ml_optimizer_param", "ml_strategy", "ml_learner_param",
          "ml_split_rule"}
_SCALARS = {"size_t": ctypes.c_size_t, "int": ctypes.c_int,
            "unsigned": ctypes.c_uint, "double": ctypes.c_double,
            "uint64_t": ctypes.c_uint64, "float": ctypes.c_float}


def _ctype(decl, is_return):
    """The ctypes type the table must use for a C declaration (a parameter
    with its name, or a return type)."""
    decl = " ".join(decl.replace("*", " * ").split())
    if not is_return:
        decl = re.sub(r"\s*\b\w+$", "", decl)  # drop the parameter name
    const_char = decl.startswith("const char *") and decl.count("*") == 1
    words = [w for w in decl.split() if w != "const"]
    stars = words.count("*")
    base = " ".join(w for w in words if w != "*")
    if base == "char" and stars == 1:
        return ctypes.c_char_p if const_char or is_return else _lib.CHARS
    if base == "void":
        return (None, ctypes.c_void_p)[stars] if stars < 2 else \
            ctypes.POINTER(ctypes.c_void_p)
    if base in _CALLBACKS:
        assert stars == 0
        return _CALLBACKS[base]
    if base == "ml_status":
        assert stars == 0
        return _lib.STATUS
    if base in _HANDLES:
        t = _HANDLES[base]
    elif base in _ENUMS:
        t = ctypes.c_int
    else:
        t = _SCALARS[base]
        if stars:
            t = ctypes.POINTER(t)
            stars -= 1
    for _ in range(stars - (1 if base in _HANDLES else 0)):
        t = ctypes.POINTER(t)
    return t


def _header_text():
    with open(os.path.join(include_dir(), "metalearn.h"), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"^\s*#.*$", " ", text, flags=re.M)  # preprocessor lines


def _header_prototypes():
    text = _header_text()
    protos = re.findall(r"ML_API\s+([^;]*?)\b(ml_\w+)\s*\(([^)]*)\)\s*;", text)
    assert protos, "no ML_API prototypes found in metalearn.h"
    return protos


def test_table_declares_every_header_function_once():
    names = [n for n, _r, _a in _lib.FUNCTIONS]
    assert len(names) == len(set(names)), "a function is declared twice"
    header = [name for _ret, name, _params in _header_prototypes()]
    assert sorted(names) == sorted(header)


def test_table_types_match_the_header():
    table = {n: (r, a) for n, r, a in _lib.FUNCTIONS}
    for ret, name, params in _header_prototypes():
        restype, argtypes = table[name]
        plist = [p.strip() for p in params.split(",")]
        if plist == ["void"]:
            plist = []
        assert restype == _ctype(ret, True), name
        expected = tuple(_ctype(p, False) for p in plist)
        assert argtypes == expected, name
        fn = getattr(_lib.lib, name)  # the counting wrapper of conftest
        assert callable(fn)


def test_callback_types_match_the_header():
    typedefs = re.findall(r"typedef\s+(\w+)\s*\(\s*\*\s*(ml_\w+)\s*\)\s*"
                          r"\(([^)]*)\)\s*;", _header_text())
    assert sorted(name for _r, name, _p in typedefs) == sorted(_CALLBACKS)
    for ret, name, params in typedefs:
        fn_type = _CALLBACKS[name]
        assert fn_type._restype_ == _ctype(ret, True), name
        expected = tuple(_ctype(p.strip(), False) for p in params.split(","))
        assert tuple(fn_type._argtypes_) == expected, name


# ---- where the library is found -----------------------------------------

CHECK = "import metalearn; print(metalearn.library_path)"


def test_environment_variable_missing_file():
    r = run_python(["-c", CHECK], {"METALEARN_LIBRARY": "/nonexistent/libm.so"})
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "/nonexistent/libm.so" in r.stderr


def test_environment_variable_not_a_library(tmp_path):
    bogus = tmp_path / "libmetalearn.so.0"
    bogus.write_bytes(b"not an ELF file")
    r = run_python(["-c", CHECK], {"METALEARN_LIBRARY": str(bogus)})
    assert r.returncode != 0
    assert "cannot load" in r.stderr and str(bogus) in r.stderr


def _package_copy(tmp_path, version=None, with_library=False):
    dest = tmp_path / "pkg"
    shutil.copytree(os.path.join(PACKAGE_DIR, "metalearn"), dest / "metalearn",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    if version:
        (dest / "metalearn" / "_version.py").write_text(
            '__version__ = "%s"\n' % version)
    if with_library:
        shutil.copy(library_path(), dest / "metalearn" / "libmetalearn.so.0")
    return dest


def test_library_next_to_package(tmp_path):
    pkg = _package_copy(tmp_path, with_library=True)
    r = run_python(["-c", CHECK], {"PYTHONPATH": str(pkg)},
                   unset=["METALEARN_LIBRARY", "METALEARN_BUILD_DIR"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(pkg / "metalearn" / "libmetalearn.so.0")


def test_library_in_build_dir(tmp_path):
    pkg = _package_copy(tmp_path)
    build = os.path.dirname(os.path.dirname(os.path.abspath(library_path())))
    expected = os.path.join(build, "lib", "libmetalearn.so.0")
    if not os.path.exists(expected):
        pytest.skip("the library is not in a meson build tree's lib/")
    r = run_python(["-c", CHECK], {"PYTHONPATH": str(pkg),
                                   "METALEARN_BUILD_DIR": build},
                   unset=["METALEARN_LIBRARY"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == expected


def test_library_from_system_loader(tmp_path):
    pkg = _package_copy(tmp_path)
    libdir = os.path.dirname(os.path.abspath(library_path()))
    r = run_python(["-c", CHECK],
                   {"PYTHONPATH": str(pkg),
                    "LD_LIBRARY_PATH": libdir + os.pathsep
                    + os.environ.get("LD_LIBRARY_PATH", "")},
                   unset=["METALEARN_LIBRARY", "METALEARN_BUILD_DIR"])
    assert r.returncode == 0, r.stderr
    assert "libmetalearn" in r.stdout


def test_library_not_found(tmp_path):
    pkg = _package_copy(tmp_path)
    r = run_python(["-c", CHECK],
                   {"PYTHONPATH": str(pkg), "METALEARN_BUILD_DIR": str(tmp_path),
                    "LD_LIBRARY_PATH": str(tmp_path)},
                   unset=["METALEARN_LIBRARY"])
    if r.returncode == 0:
        pytest.skip("a libmetalearn is installed on the system")
    assert "libmetalearn not found" in r.stderr
    assert "METALEARN_LIBRARY" in r.stderr and str(tmp_path) in r.stderr


def test_major_version_mismatch(tmp_path):
    pkg = _package_copy(tmp_path, version="1.0.0")
    r = run_python(["-c", CHECK], {"PYTHONPATH": str(pkg),
                                   "METALEARN_LIBRARY": library_path()})
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "needs major 1" in r.stderr
