#!/usr/bin/env bash
# bench.sh's dm step only (dm max, then dm at 2 000/s open loop) for before (65ae7e6) and after (b2dcc69), three
# alternated rounds: the p99 send->push of the code kept. Usage: ROUNDS=3 run.sh (from anywhere)
set -u
cd /work/main
OUT=docs/bench-data/2026-12-03-wave2f/p99
COMMON=(env RUNS=1 DURATION=15 WARMUP=6 DM_RATE=2000 LOADGEN_JAR=/work/bench/loadgen-fast.jar JFR=0
  SKIP="relay dmbatch broadcast storm idle jmh")
for r in $(seq 1 "${ROUNDS:-3}"); do
  "${COMMON[@]}" BROKER_JAR=/work/bench/broker-before.jar benchmarks/bench.sh "$OUT/before-r$r"
  "${COMMON[@]}" BROKER_JAR=/work/bench/broker-after2.jar benchmarks/bench.sh "$OUT/after-r$r"
  rm -rf "$OUT"/*-r"$r"/broker-data
  gzip -f "$OUT"/*-r"$r"/broker.log 2>/dev/null || true
done
