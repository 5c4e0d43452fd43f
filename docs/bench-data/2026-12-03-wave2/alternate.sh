#!/usr/bin/env bash
# Issue 15's before/after, as run on 3 Dec 2026: per round one bench.sh session per configuration, back to back, with
# the same load generator: "before" = the broker at 14765c7 (main before the wave), "after" = the broker at the
# commit in /work/bench/after-commit with JSON peers, "binary" = the same broker with claudemesh.bin.1 peers.
# Relay only in the "before" session of each round (it does not depend on the broker).
set -u
cd /work/main
OUT=docs/bench-data/2026-12-03-wave2
ROUNDS=${ROUNDS:-3}
COMMON=(env RUNS=1 DURATION=${DURATION:-15} WARMUP=${WARMUP:-6} DM_RATE=2000 LOADGEN_JAR=/work/bench/loadgen.jar)
for r in $(seq 1 "$ROUNDS"); do
  "${COMMON[@]}" JFR=0 SKIP="dmbatch idle jmh" BROKER_JAR=/work/bench/broker-before.jar \
    benchmarks/bench.sh "$OUT/before-r$r"
  "${COMMON[@]}" JFR=$([[ $r == 1 ]] && echo 1 || echo 0) SKIP="relay dmbatch idle jmh" \
    BROKER_JAR=/work/bench/broker-after.jar benchmarks/bench.sh "$OUT/after-r$r"
  "${COMMON[@]}" JFR=0 PROTOCOL=binary SKIP="relay dmbatch storm idle jmh" BROKER_JAR=/work/bench/broker-after.jar \
    benchmarks/bench.sh "$OUT/binary-r$r"
  rm -rf "$OUT"/*-r"$r"/broker-data "$OUT"/*-r"$r"/*.jfr   # the embedded database and the recording: not kept
done
