#!/usr/bin/env bash
# Trains the sine-wave protocol with the independent TensorFlow.js
# implementation (sine_tfjs.js) over several seeds, moves each result into a
# libmetalearn learner file (params.py) and evaluates it with `metalearn
# eval` on the same 1,000 test tasks as bench/sine_seeds.sh (seed 1000, 100
# query points, 1, 5 and 10 steps), so its figures and the library's can be
# set side by side (docs/results.md, "An independent implementation").
# It first checks that the two compute the same meta-gradients on the same
# parameters and tasks (gradient_check.py), and stops if they do not.
#
#   bench/reference/compare.sh [BUILD_DIR] [OUT_DIR] [STRATEGIES] [SEEDS]
#       defaults: build-release, sine-tfjs, "maml fomaml reptile", "1 2 3 4"
#
# Needs node and npm (the npm registry: the first run installs TensorFlow.js
# 4.22.0 here with `npm ci`) and /usr/bin/python3 with numpy for the library's
# Python binding.  Each run takes about 10 minutes of one core (the WebAssembly
# backend), against about 7 s for the library.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath "${1:-build-release}")
out=${2:-sine-tfjs}
strategies=${3:-maml fomaml reptile}
seeds=${4:-1 2 3 4}
tool=$build/tools/metalearn
[[ -x $tool ]] || { echo "compare.sh: $tool not found (run scripts/bench first)" >&2; exit 2; }
command -v node >/dev/null || { echo "compare.sh: node not found (apt-get install nodejs npm)" >&2; exit 2; }
[[ -d $here/node_modules/@tensorflow/tfjs-backend-wasm ]] || (cd "$here" && npm ci --no-audit --no-fund)
node "$here/sine_tfjs.js" check
export PYTHONPATH=$here/../../bindings/python METALEARN_BUILD_DIR=$build
# The two compute the same meta-gradients (to float rounding) before the
# runs are compared: see gradient_check.py.
/usr/bin/python3 "$here/gradient_check.py"
mkdir -p "$out"
for s in $strategies; do
    for seed in $seeds; do
        node "$here/sine_tfjs.js" train "$s" "$seed" 70000 "$out/$s-$seed.json" \
            > "$out/$s-$seed.train.json" 2> "$out/$s-$seed.log"
        /usr/bin/python3 "$here/params.py" to-mlrn "$out/$s-$seed.json" "$s" "$out/$s-$seed.mlrn"
        "$tool" eval "$out/$s-$seed.mlrn" --task sine --shots 10 --steps 1,5,10 --tasks 1000 \
            --queries 100 --seed 1000 --no-baseline --quiet --json \
            | tail -n 1 > "$out/$s-$seed.eval.json"
    done
    /usr/bin/python3 "$here/../sine_summary.py" "$out" "$s" $seeds
done
