#!/bin/bash
# Whether two clnet binaries train the same weights, bit for bit, on every configs/hw2 network:
#     bench/same_weights.sh OLD_CLNET NEW_CLNET OUTDIR [ITERATIONS]
# Trains each config ITERATIONS steps (default 300) with both binaries into OUTDIR (emptied
# first) and compares their model.safetensors byte for byte (cmp). Prints each config that
# differs or fails and "same N differ M"; exits 1 when any differs or fails. Run from the
# repository root (the configs read data/mnist). What a change that keeps the arithmetic must
# show (issue 26: "trained weights bitwise unchanged").
set -u
if [ $# -lt 3 ]; then
    sed -n '2,8p' "$0" >&2
    exit 2
fi
old=$1 new=$2 out=$3 its=${4:-300}
rm -rf "$out" && mkdir -p "$out" || exit 2
same=0 differ=0
for c in configs/hw2/q3*.yaml configs/hw2/q4*.yaml configs/hw2/q5*.yaml configs/hw2/q4_vi_hidden/*.yaml; do
    n=$(echo "$c" | tr / _)
    if ! "$old" train "$c" --out "$out/a_$n" --quiet --set train.iterations="$its" >/dev/null 2>&1; then
        echo "old failed: $c"; differ=$((differ + 1)); continue
    fi
    if ! "$new" train "$c" --out "$out/b_$n" --quiet --set train.iterations="$its" >/dev/null 2>&1; then
        echo "new failed: $c"; differ=$((differ + 1)); continue
    fi
    if cmp -s "$out/a_$n/model.safetensors" "$out/b_$n/model.safetensors"; then
        same=$((same + 1))
    else
        differ=$((differ + 1)); echo "differ: $c"
    fi
done
echo "same $same differ $differ"
[ "$differ" -eq 0 ]
