#!/usr/bin/env bash
# Issue 15, fourth sitting (3 Dec 2026): per round one benchmarks/bench.sh session per broker, back to back, with the
# same load generator (/work/bench/loadgen-third.jar, built at b1b1ad4, as in the third sitting):
#   before = the broker at 59ccb85 (main at the start of the sitting), relay included
#   after  = the broker jar in /work/bench/broker-fourth.jar (its commit in /work/bench/fourth-commit), JSON peers
# Binary peers are measured in steady/ only. Usage: ROUNDS=3 alternate.sh (from anywhere)
set -u
cd /work/main
OUT=docs/bench-data/2026-12-03-wave2d
ROUNDS=${ROUNDS:-3}
COMMON=(env RUNS=1 DURATION=${DURATION:-15} WARMUP=${WARMUP:-6} DM_RATE=2000 LOADGEN_JAR=/work/bench/loadgen-third.jar)
for r in $(seq 1 "$ROUNDS"); do
  "${COMMON[@]}" JFR=0 SKIP="dmbatch idle jmh" BROKER_JAR=/work/bench/broker-59ccb85.jar \
    benchmarks/bench.sh "$OUT/before-r$r"
  "${COMMON[@]}" JFR=$([[ $r == 1 ]] && echo 1 || echo 0) SKIP="relay dmbatch idle jmh" \
    BROKER_JAR=/work/bench/broker-fourth.jar benchmarks/bench.sh "$OUT/after-r$r"
  rm -rf "$OUT"/*-r"$r"/broker-data "$OUT"/*-r"$r"/*.jfr
  gzip -f "$OUT"/*-r"$r"/broker.log 2>/dev/null || true
done
