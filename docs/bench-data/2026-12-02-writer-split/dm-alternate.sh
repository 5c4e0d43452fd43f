#!/usr/bin/env bash
# dm max, before and after the writer split, alternating: ROUNDS x (before, after), RUNS runs each.
set -uo pipefail
for r in $(seq "${FIRST:-1}" "${LAST:-2}"); do
  for v in ${ORDER:-before after}; do
    SKIP="relay dmbatch broadcast storm idle jmh" JFR=0 HALF_RUNS=0 RUNS=${RUNS:-3} \
      /tmp/writer-tree-$v/benchmarks/bench.sh /tmp/writer-dm/$v-$r > /tmp/writer-dm/$v-$r.log 2>&1
    echo "[$(date +%T)] $v-$r done rc=$? $(grep dm-max /tmp/writer-dm/$v-$r/summary.txt 2>/dev/null)"
  done
done
