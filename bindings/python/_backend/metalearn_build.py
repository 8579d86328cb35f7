"""The PEP 517 build backend of the metalearn package, in the standard
library only.

Why not setuptools: pip builds a package in an isolated environment into
which it installs the backend named in pyproject.toml from the package
index.  Offline (or behind a proxy) that fails, so `pip install
bindings/python` into a fresh virtual environment could not work.  This
backend needs nothing installed (``requires = []``), so pip never reaches
for an index.  The package is pure Python, so a wheel is only a zip of
``metalearn/`` and a few metadata files.

Hooks: build_wheel, build_sdist, build_editable (pip install -e) and the
get_requires_for_build_* queries.  The metadata comes from the [project]
table of pyproject.toml; a key this backend does not implement is an
error rather than being dropped silently.
"""

import base64
import csv
import hashlib
import io
import os
import re
import sys
import tarfile
import zipfile

# The source tree: this file is in <root>/_backend/.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The [project] keys turned into metadata below.
KNOWN_KEYS = {"name", "version", "description", "readme", "license",
              "requires-python", "dependencies", "optional-dependencies"}

# Fixed timestamp for archive members, so that a build is reproducible
# (zip cannot store dates before 1980).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _toml_module():
    try:
        import tomllib
        return tomllib
    except ImportError:  # Python < 3.11: pip installs tomli (see below)
        import tomli
        return tomli


def _requires():
    return [] if sys.version_info >= (3, 11) else ["tomli>=1.1"]


def get_requires_for_build_wheel(config_settings=None):
    return _requires()


def get_requires_for_build_sdist(config_settings=None):
    return _requires()


def get_requires_for_build_editable(config_settings=None):
    return _requires()


# ---- metadata -------------------------------------------------------------

def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = _toml_module().load(f)["project"]
    unknown = sorted(set(project) - KNOWN_KEYS)
    if unknown:
        raise ValueError("metalearn_build: pyproject.toml [project] keys not "
                         "handled by this backend: " + ", ".join(unknown))
    # _version.py is what the package reports at run time; a wheel whose
    # file name says otherwise would be a lie.
    with open(os.path.join(ROOT, project["name"], "_version.py"),
              encoding="utf-8") as f:
        m = re.search(r'^__version__ = "([^"]+)"', f.read(), re.M)
    if not m or m.group(1) != project["version"]:
        raise ValueError("metalearn_build: version %s in pyproject.toml but "
                         "%s in %s/_version.py" % (project["version"],
                                                   m and m.group(1),
                                                   project["name"]))
    return project


def _dist_name(project):
    """The name as wheel and sdist file names spell it."""
    return re.sub(r"[-_.]+", "_", project["name"]).lower()


def _metadata(project):
    """The core metadata (METADATA of a wheel, PKG-INFO of an sdist)."""
    lines = ["Metadata-Version: 2.1",
             "Name: " + project["name"],
             "Version: " + project["version"]]
    if "description" in project:
        lines.append("Summary: " + project["description"])
    if "license" in project:
        lines.append("License: " + project["license"]["text"])
    if "requires-python" in project:
        lines.append("Requires-Python: " + project["requires-python"])
    for req in project.get("dependencies", []):
        lines.append("Requires-Dist: " + req)
    for extra, reqs in sorted(project.get("optional-dependencies", {}).items()):
        lines.append("Provides-Extra: " + extra)
        for req in reqs:
            lines.append('Requires-Dist: %s; extra == "%s"' % (req, extra))
    body = ""
    if "readme" in project:
        lines.append("Description-Content-Type: text/markdown")
        with open(os.path.join(ROOT, project["readme"]), encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


# ---- the files ---------------------------------------------------------------

def _package_files(package, with_binaries):
    """(path relative to ROOT, absolute path) of every file of the package,
    sorted; caches always left out, copies of the shared library (shipped
    next to the package, see _lib.py) only when with_binaries."""
    found = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, package)):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in filenames:
            if name.endswith(".pyc"):
                continue
            if name.startswith("libmetalearn.") and not with_binaries:
                continue
            path = os.path.join(dirpath, name)
            found.append((os.path.relpath(path, ROOT).replace(os.sep, "/"), path))
    return sorted(found)


def _record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _write_wheel(wheel_directory, project, members):
    """Writes the wheel of ``members`` ((archive name, bytes, mode) tuples)
    plus the .dist-info files; returns its file name."""
    dist = _dist_name(project)
    version = project["version"]
    info = "%s-%s.dist-info" % (dist, version)
    wheel_file = ("Wheel-Version: 1.0\nGenerator: metalearn_build\n"
                  "Root-Is-Purelib: true\nTag: py3-none-any\n")
    members = list(members) + [
        (info + "/METADATA", _metadata(project).encode("utf-8"), 0o644),
        (info + "/WHEEL", wheel_file.encode("utf-8"), 0o644)]
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data, _mode in members:
        writer.writerow([name, _record_hash(data), len(data)])
    writer.writerow([info + "/RECORD", "", ""])
    members.append((info + "/RECORD", record.getvalue().encode("utf-8"), 0o644))

    filename = "%s-%s-py3-none-any.whl" % (dist, version)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w",
                         zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in members:
            entry = zipfile.ZipInfo(name, ZIP_DATE)
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return filename


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _mode(path):
    return 0o755 if os.access(path, os.X_OK) else 0o644


# ---- the hooks ---------------------------------------------------------------

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    members = [(rel, _read(path), _mode(path))
               for rel, path in _package_files(project["name"], True)]
    return _write_wheel(wheel_directory, project, members)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel whose only content is a .pth file putting the source tree
    on sys.path, so edits to metalearn/ take effect without reinstalling."""
    project = _project()
    pth = ("%s.pth" % _dist_name(project), (ROOT + "\n").encode("utf-8"), 0o644)
    return _write_wheel(wheel_directory, project, [pth])


def build_sdist(sdist_directory, config_settings=None):
    """The source tree minus caches and shared-library copies, with PKG-INFO."""
    project = _project()
    base = "%s-%s" % (_dist_name(project), project["version"])
    files = [("pyproject.toml", os.path.join(ROOT, "pyproject.toml"))]
    if "readme" in project:
        files.append((project["readme"], os.path.join(ROOT, project["readme"])))
    files += _package_files(project["name"], False)
    files += _package_files("_backend", False)
    filename = base + ".tar.gz"

    def add(tar, name, data, mode):
        entry = tarfile.TarInfo(base + "/" + name)
        entry.size = len(data)
        entry.mode = mode
        entry.mtime = 315532800  # 1980-01-01, as ZIP_DATE
        tar.addfile(entry, io.BytesIO(data))

    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz",
                      format=tarfile.PAX_FORMAT) as tar:
        add(tar, "PKG-INFO", _metadata(project).encode("utf-8"), 0o644)
        for rel, path in files:
            add(tar, rel, _read(path), _mode(path))
    return filename
