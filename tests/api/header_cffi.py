"""The public header as a binding sees it: preprocessed with `cc -E -P`,
fed to cffi's cdef(), and the built shared library loaded with dlopen().

Checks that cdef() accepts the header, that the functions it declares are
exactly the global symbols of lib/metalearn.map, that each one resolves in
the library, and calls the functions that exist today.

usage: header_cffi.py INCLUDEDIR LIBRARY MAPFILE SANITIZE COMPILER...
Exit status 77 (skip) when cffi is not importable.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def map_globals(path):
    """The names listed under `global:` in a linker version script."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    names = []
    for block in re.findall(r"global\s*:(.*?)(?:local\s*:|\})", text, re.S):
        names += [n.strip() for n in block.split(";") if n.strip()]
    return names


def sanitizer_preload(compiler, sanitize):
    """The sanitizer runtime to LD_PRELOAD into python, or None if none is
    needed: an ASan-instrumented library cannot be dlopen()ed into a
    program without the runtime loaded first."""
    if "address" not in sanitize.split(","):
        return None
    for name in ("libasan.so", "libclang_rt.asan-x86_64.so"):
        out = subprocess.run(compiler + ["-print-file-name=" + name],
                             capture_output=True, text=True).stdout.strip()
        if os.path.isabs(out) and os.path.exists(out):
            return out
    fail("the library is built with AddressSanitizer but its runtime "
         "was not found")
    return None


def preprocess(compiler, incdir):
    """`cc -E -P` of the header.  Empty stand-ins replace the standard
    headers (-nostdinc), so the output holds only the header's own
    declarations; cffi knows size_t, int64_t and friends already.
    ML_NO_DEPRECATION drops the deprecation attributes cffi cannot parse,
    as docs/stability.md tells FFI users to do."""
    fake = tempfile.mkdtemp()
    try:
        for h in ("stddef.h", "stdint.h", "stdbool.h"):
            open(os.path.join(fake, h), "w").close()
        cmd = compiler + ["-E", "-P", "-DML_NO_DEPRECATION", "-nostdinc",
                          "-I", fake, "-I", incdir,
                          "-x", "c", os.path.join(incdir, "metalearn.h")]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            fail("%s failed:\n%s" % (" ".join(cmd), res.stderr))
        return res.stdout
    finally:
        shutil.rmtree(fake)


def version_macros(compiler, incdir):
    cmd = compiler + ["-E", "-dM", "-I", incdir, "-x", "c",
                      os.path.join(incdir, "metalearn.h")]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    found = dict(re.findall(r"#define (ML_VERSION_(?:MAJOR|MINOR|PATCH)) (\d+)",
                            out))
    if len(found) != 3:
        fail("ML_VERSION_MAJOR/MINOR/PATCH not found in the header")
    return tuple(int(found["ML_VERSION_" + k])
                 for k in ("MAJOR", "MINOR", "PATCH"))


def main():
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        return 2
    incdir, library, mapfile, sanitize = sys.argv[1:5]
    compiler = sys.argv[5:]

    try:
        import cffi
    except ImportError as e:
        print("SKIP: cffi is not importable (%s)" % e)
        return SKIP

    preload = sanitizer_preload(compiler, sanitize)
    if preload and preload not in os.environ.get("LD_PRELOAD", ""):
        env = dict(os.environ)
        env["LD_PRELOAD"] = (preload + " " + env.get("LD_PRELOAD", "")).strip()
        # Python itself does not free everything at exit.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        os.execve(sys.executable, [sys.executable] + sys.argv, env)

    text = preprocess(compiler, incdir)
    ffi = cffi.FFI()
    try:
        ffi.cdef(text)
    except Exception as e:  # cffi raises CDefError, FFIError, ...
        fail("cffi cannot parse the preprocessed header: %s\n%s" % (e, text))

    declared = set(re.findall(r"\b(ml_\w+)\s*\(", text))
    exported = set(map_globals(mapfile))
    if not exported:
        fail("no global symbols found in " + mapfile)
    if declared != exported:
        fail("header and version script disagree:\n"
             "  declared, not in the map: %s\n  in the map, not declared: %s"
             % (sorted(declared - exported), sorted(exported - declared)))

    lib = ffi.dlopen(os.path.abspath(library))
    for name in sorted(declared):
        try:
            getattr(lib, name)
        except (AttributeError, NotImplementedError) as e:
            fail("%s is declared but not callable from the library: %s"
                 % (name, e))

    version = ffi.string(lib.ml_version_string()).decode()
    major, minor, patch = version_macros(compiler, incdir)
    if version != "%d.%d.%d" % (major, minor, patch):
        fail("ml_version_string() = %r, header says %d.%d.%d"
             % (version, major, minor, patch))
    if lib.ml_version_number() != major * 10000 + minor * 100 + patch:
        fail("ml_version_number() = %d" % lib.ml_version_number())

    nomem = ffi.string(lib.ml_status_str(-2)).decode()
    if not nomem.startswith("ML_ERR_NOMEM: "):
        fail("ml_status_str(-2) = %r" % nomem)
    if lib.ML_ERR_NOMEM != -2 or lib.ML_OK != 0:
        fail("the enum constants have the wrong values through cffi")
    unknown = ffi.string(lib.ml_status_str(12345)).decode()
    if unknown != "unknown status":
        fail("ml_status_str(12345) = %r" % unknown)

    err = lib.ml_last_error()
    if err == ffi.NULL:
        fail("ml_last_error() returned NULL")
    if ffi.string(err) != b"":
        fail("ml_last_error() = %r before any failure" % ffi.string(err))

    print("cffi: %d functions; version %s; %s" % (len(declared), version, nomem))
    return 0


if __name__ == "__main__":
    sys.exit(main())
