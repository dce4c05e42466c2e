#!/bin/bash
# Each launch of a step under two builds, side by side:
#     bench/profile_ab.sh CONFIG ROUNDS BUILD_A BUILD_B [ITERATIONS]
# Runs BUILD_A/bench/net_profile and BUILD_B/bench/net_profile on CONFIG (ITERATIONS steps,
# default 300) ROUNDS times each, in ABBA order (A B, B A, A B, ...): on a shared machine the
# first of two back-to-back runs can be ~10% faster on every kernel, whichever build it is
# (bench/RESULTS.md, session 18). Prints each launch (kernel#occurrence, matched by name, so a
# launch one build does not make shows "-") with its median's minimum over the rounds in each
# build, then each build's step periods (net_profile's "medians over steps"), and their
# minimum. Run from the repository root (CONFIG's data paths).
set -u
if [ $# -lt 4 ]; then
    sed -n '2,10p' "$0" >&2
    exit 2
fi
cfg=$1 rounds=$2 a=$3 b=$4 its=${5:-300}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
    order="a b"
    [ $((r % 2)) = 0 ] && order="b a"
    for t in $order; do
        build=$a
        [ "$t" = b ] && build=$b
        if ! "$build/bench/net_profile" --iterations "$its" "$cfg" > "$tmp/$t.txt" 2>&1; then
            echo "$build/bench/net_profile failed:" >&2
            tail -3 "$tmp/$t.txt" >&2
            exit 1
        fi
        grep -E '^\| [0-9]+ \|' "$tmp/$t.txt" |
            awk -F'|' -v t="$t" '{gsub(/ /, "", $3); n[$3]++; print t, $3 "#" n[$3], $5}' >> "$tmp/launches"
        grep -o 'medians over steps.*period [0-9.]* us' "$tmp/$t.txt" |
            sed -E "s/.*period ([0-9.]+) us/$t \1/" >> "$tmp/periods"
    done
done
printf '%-32s %10s %10s\n' "launch (minimum over $rounds rounds, us)" A B
awk '{ if (!($2 in order)) { order[$2] = ++n; key[n] = $2 }
       m = $1 SUBSEP $2; if (!(m in min) || $3 + 0 < min[m]) min[m] = $3 + 0 }
     END { for (i = 1; i <= n; i++) { k = key[i]
               printf "%-32s %10s %10s\n", k, (("a" SUBSEP k) in min) ? min["a" SUBSEP k] : "-",
                      (("b" SUBSEP k) in min) ? min["b" SUBSEP k] : "-" } }' "$tmp/launches"
for t in a b; do
    awk -v t="$t" '$1 == t { printf "%s%s", sep, $2; sep = " "; if (m == "" || $2 + 0 < m) m = $2 + 0 }
                   END { printf "  (min %s)\n", m }' "$tmp/periods" |
        sed "s/^/step periods $(echo $t | tr ab AB), us: /"
done
