#!/usr/bin/env bash
# Compiles a program that includes the public header with one language
# standard and strict warnings as errors, links it against the built shared
# library and runs it.  A warning or error in the header fails the test.
#
#   header_test.sh STD SOURCE INCLUDEDIR LIBRARY SANITIZE -- COMPILER...
#
# STD is c99, c11, c++11...; SANITIZE is meson's b_sanitize value ("none"
# or e.g. "address,undefined"): an instrumented library needs the
# sanitizer runtime in the program too.
set -euo pipefail

if (($# < 7)) || [[ $6 != -- ]]; then
    echo "usage: $0 STD SOURCE INCLUDEDIR LIBRARY SANITIZE -- COMPILER..." >&2
    exit 2
fi
std=$1 src=$2 incdir=$3 lib=$4 sanitize=$5
shift 6
compiler=("$@")

flags=(-std="$std" -Wall -Wextra -pedantic -Werror -Wshadow -Wundef
    -Wconversion -Wsign-conversion -Wcast-qual -Wredundant-decls)
case $std in
c++*) flags+=(-Wold-style-cast -Wzero-as-null-pointer-constant) ;;
*) flags+=(-Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition) ;;
esac
if [[ $sanitize != none ]]; then
    flags+=(-fsanitize="$sanitize")
fi

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

libdir=$(cd "$(dirname "$lib")" && pwd)
echo "+ ${compiler[*]} ${flags[*]} -I $incdir $src $lib"
"${compiler[@]}" "${flags[@]}" -I "$incdir" -o "$tmp/prog" "$src" "$lib" \
    -Wl,-rpath,"$libdir"
"$tmp/prog"
