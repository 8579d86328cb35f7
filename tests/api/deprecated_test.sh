#!/usr/bin/env bash
# ML_DEPRECATED does what docs/stability.md promises: a call to a function
# declared with it draws a warning carrying the message (an error here,
# with -Werror=deprecated-declarations), and ML_NO_DEPRECATION removes the
# mark entirely, also from the preprocessed text an FFI such as cffi reads.
#
#   deprecated_test.sh INCLUDEDIR -- COMPILER...
set -euo pipefail

if (($# < 3)) || [[ $2 != -- ]]; then
    echo "usage: $0 INCLUDEDIR -- COMPILER..." >&2
    exit 2
fi
incdir=$1
shift 2
compiler=("$@")

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
cat >"$tmp/use.c" <<'C'
#include <metalearn.h>
ML_DEPRECATED("use ml_new_way() instead") int ml_old_way(void);
int ml_old_way(void) { return 0; }
int main(void) { return ml_old_way(); }
C

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

flags=(-std=c11 -Wall -Wextra -pedantic -I "$incdir" -c -o "$tmp/use.o")
if "${compiler[@]}" "${flags[@]}" -Werror=deprecated-declarations "$tmp/use.c" \
    2>"$tmp/err"; then
    fail "a call to an ML_DEPRECATED function compiled without a warning"
fi
cat "$tmp/err"
grep -q 'use ml_new_way() instead' "$tmp/err" ||
    fail "the deprecation warning does not carry the message"

"${compiler[@]}" "${flags[@]}" -Werror -DML_NO_DEPRECATION "$tmp/use.c" ||
    fail "ML_NO_DEPRECATION does not remove the mark"
"${compiler[@]}" -E -P -DML_NO_DEPRECATION -I "$incdir" "$tmp/use.c" >"$tmp/pre.c"
if grep -q 'deprecated' "$tmp/pre.c"; then
    fail "the preprocessed text still holds an attribute with ML_NO_DEPRECATION"
fi
echo "deprecation test passed"
