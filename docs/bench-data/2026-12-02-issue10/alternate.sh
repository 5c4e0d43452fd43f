#!/usr/bin/env bash
# Issue 10 before/after: relay and dm max, alternating versions per round, a fresh broker per version and round.
set -uo pipefail
orders=("before after" "after before" "before after")
for r in 1 2 3; do
  for v in ${orders[$((r-1))]}; do
    SKIP="dmbatch broadcast storm idle jmh" JFR=0 HALF_RUNS=0 RUNS=3 DURATION=20 WARMUP=5 \
      /tmp/i10-$v/benchmarks/bench.sh /tmp/i10-bench/$v-$r > /tmp/i10-bench/$v-$r.log 2>&1
    echo "[$(date +%T)] $v-$r rc=$? load $(cut -d' ' -f1-3 /proc/loadavg) $(grep -E '^(relay|dm-max)' /tmp/i10-bench/$v-$r/summary.txt 2>/dev/null | tr '\n' ' ')"
  done
done
