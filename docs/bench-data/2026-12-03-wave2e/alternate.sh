#!/usr/bin/env bash
# Issue 15, fifth sitting (3 Dec 2026): per round one benchmarks/bench.sh session per broker, back to back, with the
# same load generator as the third and fourth sittings (/work/bench/loadgen-third.jar, built at b1b1ad4):
#   before = the broker at a2d14ea (main at the start of the sitting), relay included
#   after  = the broker at 1abe91c (Netty defaults + gathered acks), JSON peers
# Binary peers are measured in steady/ only. Usage: ROUNDS=3 alternate.sh (from anywhere)
set -u
cd /work/main
OUT=docs/bench-data/2026-12-03-wave2e
ROUNDS=${ROUNDS:-3}
COMMON=(env RUNS=1 DURATION=${DURATION:-15} WARMUP=${WARMUP:-6} DM_RATE=2000 LOADGEN_JAR=/work/bench/loadgen-third.jar)
for r in $(seq 1 "$ROUNDS"); do
  "${COMMON[@]}" JFR=0 SKIP="dmbatch idle jmh" BROKER_JAR=/work/bench/broker-a2d14ea.jar \
    benchmarks/bench.sh "$OUT/before-r$r"
  "${COMMON[@]}" JFR=0 SKIP="relay dmbatch idle jmh" \
    BROKER_JAR=/work/bench/broker-s8-gather.jar benchmarks/bench.sh "$OUT/after-r$r"
  rm -rf "$OUT"/*-r"$r"/broker-data "$OUT"/*-r"$r"/*.jfr
  gzip -f "$OUT"/*-r"$r"/broker.log 2>/dev/null || true
done
