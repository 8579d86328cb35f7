#!/usr/bin/env bash
# ABI guard: compares the built shared library with the committed baseline
# abi/libmetalearn-0.1.abi (made by abidw, see abi/README.md).  Passes when
# abidiff sees no change, or when the only changes are added functions or
# variables; fails on anything else (abidiff's exit status is a bit set: 1
# error, 2 usage, 4 ABI change, 8 incompatible change — a changed signature
# gives 4, so the report itself is read too).
# The opaque handles' struct layouts are private (abi/opaque-handles.suppr).
#   abi_test.sh BASELINE LIBRARY
set -u
baseline=$1 lib=$2
suppr=$(dirname "$baseline")/opaque-handles.suppr
if ! command -v abidiff >/dev/null; then
    echo "SKIP: abidiff not installed (Debian package abigail-tools)"
    exit 77
fi
if ! readelf -S "$lib" 2>/dev/null | grep -q '\.debug_info'; then
    echo "SKIP: $lib has no debug information to compare (build with debug=true)"
    exit 77
fi
report=$(abidiff --suppressions "$suppr" --no-added-syms "$baseline" "$lib" 2>&1)
rc=$?
full=$(abidiff --suppressions "$suppr" "$baseline" "$lib" 2>&1)
echo "$full"
if ((rc == 0)); then
    echo "ABI unchanged (or only additions)"
    exit 0
fi
if ((rc & 3)); then
    echo "FAIL: abidiff could not compare (exit $rc)"
    exit 1
fi
# Exit 4 or 12: allowed only if nothing was removed or changed.
if grep -Eq '(^| )[1-9][0-9]* (Removed|Changed)' <<<"$report"; then
    echo "FAIL: the ABI changed in a way other than additions (abidiff exit $rc)"
    exit 1
fi
echo "only additions (abidiff exit $rc)"
exit 0
