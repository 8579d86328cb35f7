#!/usr/bin/env bash
# The sine-wave protocol of bench/sine_paper.sh over several learner seeds:
# for each strategy and seed, `metalearn train` (70,000 iterations of the
# MAML paper's setup, seed S) and `metalearn eval` on the same 1,000 test
# tasks (seed 1000, 100 query points, 1, 5 and 10 steps), then the mean
# over the seeds.  A single seed's figure moves by about 0.01 after ten
# steps and by more after one for first-order MAML (docs/results.md), so
# the mean over seeds is the figure to hold against a target.
#
#   bench/sine_seeds.sh [BUILD_DIR] [OUT_DIR] [STRATEGIES] [SEEDS]
#       defaults: build-release, sine-seeds, "maml fomaml reptile metasgd", "1 2 3 4 5"
#
# Prints one line per run (strategy, seed, MSE after 1/5/10 steps, or
# "diverged" where an adaptation did not stay finite on some task: the
# number of such tasks in brackets) and one line of means per strategy over
# the seeds whose figure is finite.  Each MAML run takes about 12 s on one
# core, Reptile about 20 s.
set -euo pipefail
build=${1:-build-release}
out=${2:-sine-seeds}
strategies=${3:-maml fomaml reptile metasgd}
seeds=${4:-1 2 3 4 5}
tool=$build/tools/metalearn
[[ -x $tool ]] || { echo "sine_seeds.sh: $tool not found (run scripts/bench first)" >&2; exit 2; }
py=$(command -v python3)
mkdir -p "$out"
for s in $strategies; do
    extra=()
    # As bench/sine_paper.sh: Reptile with 5 inner SGD steps at 0.01.
    [[ $s == reptile ]] && extra=(--inner-steps 5 --inner-lr 0.01)
    for seed in $seeds; do
        f=$out/$s-$seed.mlrn
        if ! "$tool" train --task sine --strategy "$s" --shots 10 --iterations 70000 \
            --meta-batch 25 --threads 1 --seed "$seed" --quiet "${extra[@]}" \
            --out "$f" --json > "$out/$s-$seed.train.json"; then
            echo "$s seed $seed: training stopped ($(tail -n 1 "$out/$s-$seed.train.json"))"
            continue
        fi
        "$tool" eval "$f" --task sine --shots 10 --steps 1,5,10 --tasks 1000 \
            --queries 100 --seed 1000 --no-baseline --quiet --json \
            | tail -n 1 > "$out/$s-$seed.eval.json"
    done
    "$py" "$(dirname "$0")/sine_summary.py" "$out" "$s" $seeds
done
