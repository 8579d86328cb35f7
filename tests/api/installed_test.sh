#!/usr/bin/env bash
# Installs the build into a temporary DESTDIR and checks what a user gets:
# the header, the shared library with its SONAME links, the static library
# and a pkg-config file that builds a working program, dynamically and
# statically linked.
#
#   installed_test.sh BUILDROOT APP.c SOVERSION ABI_VERSION BLAS_PC SANITIZE \
#       -- MESON... -- COMPILER...
#
# BLAS_PC is the pkg-config name of the BLAS (expected in Requires.private),
# or "" when the BLAS was not found through pkg-config.
set -euo pipefail

if (($# < 10)) || [[ $7 != -- ]]; then
    echo "usage: $0 BUILDROOT APP.c SOVERSION ABI_VERSION BLAS_PC SANITIZE -- MESON... -- COMPILER..." >&2
    exit 2
fi
build=$1 app=$2 soversion=$3 abi_version=$4 blas_pc=$5 sanitize=$6
shift 7
meson_cmd=()
while (($#)) && [[ $1 != -- ]]; do
    meson_cmd+=("$1")
    shift
done
shift
compiler=("$@")

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

destdir=$(mktemp -d)
trap 'rm -rf -- "$destdir"' EXIT

echo "+ meson install -C $build --destdir $destdir"
"${meson_cmd[@]}" install -C "$build" --destdir "$destdir" --quiet </dev/null

pcfile=$(find "$destdir" -name metalearn.pc -path '*/pkgconfig/*' -print -quit)
[[ -n $pcfile ]] || fail "metalearn.pc was not installed"
pcdir=$(dirname "$pcfile")
libdir=$(dirname "$pcdir")
echo "installed: $pcfile"

# The prefix recorded in the .pc, and where it ended up under DESTDIR.
prefix=$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=prefix metalearn)
root=$destdir$prefix
[[ -d $root ]] || fail "prefix $prefix from metalearn.pc is not under DESTDIR"

header=$(find "$destdir" -name metalearn.h -print -quit)
[[ -n $header ]] || fail "metalearn.h was not installed"
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
cmp "$header" "$srcdir/include/metalearn.h" ||
    fail "the installed header differs from include/metalearn.h"

for f in libmetalearn.so "libmetalearn.so.$soversion" \
    "libmetalearn.so.$abi_version" libmetalearn.a; do
    [[ -e $libdir/$f ]] || fail "$libdir/$f was not installed"
done
[[ -L $libdir/libmetalearn.so ]] || fail "libmetalearn.so is not a symbolic link"
soname=$(readelf -d "$libdir/libmetalearn.so.$soversion" |
    sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[[ $soname == "libmetalearn.so.$soversion" ]] ||
    fail "installed library has SONAME '$soname', want libmetalearn.so.$soversion"

if [[ -n $blas_pc ]]; then
    grep -Eq "^Requires\.private:.*\\b$blas_pc\\b" "$pcfile" ||
        fail "metalearn.pc has no Requires.private: $blas_pc"
fi

pc() {
    PKG_CONFIG_PATH=$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH} \
        pkg-config --define-variable=prefix="$root" "$@" metalearn
}
out=$(pc --cflags) || fail "pkg-config --cflags metalearn failed"
read -r -a cflags <<<"$out"
out=$(pc --libs) || fail "pkg-config --libs metalearn failed"
read -r -a libs <<<"$out"
out=$(pc --static --libs) || fail "pkg-config --static --libs metalearn failed"
read -r -a static_libs <<<"$out"
echo "pkg-config --cflags --libs: ${cflags[*]} ${libs[*]}"
[[ " ${libs[*]} " == *" -L$libdir "* ]] ||
    fail "pkg-config --libs does not point into the installed tree: ${libs[*]}"

extra=(-std=c99 -Wall -Wextra -pedantic -Werror)
if [[ $sanitize != none ]]; then
    extra+=(-fsanitize="$sanitize")
fi

# Dynamically linked, found through LD_LIBRARY_PATH.
"${compiler[@]}" "${extra[@]}" "${cflags[@]}" -o "$destdir/app" "$app" "${libs[@]}"
LD_LIBRARY_PATH=$libdir "$destdir/app"
# ldd's output is captured before it is searched: with pipefail, `ldd |
# grep -q` fails whenever grep stops reading before ldd has written its
# last line (ldd then dies of SIGPIPE), which made this test flaky.
deps=$(LD_LIBRARY_PATH=$libdir ldd "$destdir/app")
[[ $deps == *"libmetalearn.so.$soversion => $libdir/"* ]] ||
    fail "the program does not load the installed libmetalearn.so.$soversion"

# Statically linked with the private requirements from pkg-config.
static=()
for flag in "${static_libs[@]}"; do
    if [[ $flag == -lmetalearn ]]; then
        static+=('-Wl,-Bstatic' -lmetalearn '-Wl,-Bdynamic')
    else
        static+=("$flag")
    fi
done
"${compiler[@]}" "${extra[@]}" "${cflags[@]}" -o "$destdir/app-static" "$app" "${static[@]}"
deps=$(ldd "$destdir/app-static")
if [[ $deps == *libmetalearn* ]]; then
    fail "the static build still loads libmetalearn.so"
fi
"$destdir/app-static"
echo "install test passed"
