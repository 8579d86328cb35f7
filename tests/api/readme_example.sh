#!/usr/bin/env bash
# The C example of README.md must compile (C11, strict warnings as errors),
# link against the library and run successfully.
#
#   readme_example.sh README.md HEADER_TEST INCLUDEDIR LIBRARY SANITIZE -- COMPILER...
set -euo pipefail

if (($# < 7)) || [[ $6 != -- ]]; then
    echo "usage: $0 README.md HEADER_TEST INCLUDEDIR LIBRARY SANITIZE -- COMPILER..." >&2
    exit 2
fi
readme=$1 header_test=$2 incdir=$3 lib=$4 sanitize=$5
shift 6

tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT

# The first ```c block.
awk '/^```c[[:space:]]*$/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$readme" >"$tmp/example.c"
if [[ ! -s $tmp/example.c ]]; then
    echo "FAIL: no \`\`\`c block in $readme" >&2
    exit 1
fi
cat "$tmp/example.c"
bash "$header_test" c11 "$tmp/example.c" "$incdir" "$lib" "$sanitize" -- "$@"
