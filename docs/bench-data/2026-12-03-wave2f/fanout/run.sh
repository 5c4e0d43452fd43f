#!/usr/bin/env bash
# bench.sh's broadcast and connect-storm steps only, before (65ae7e6) and after (b2dcc69), alternated twice, with the
# fast generator: the broadcast and hello rows of the goals table. Usage: ROUNDS=2 run.sh (from anywhere)
set -u
cd /work/main
OUT=docs/bench-data/2026-12-03-wave2f/fanout
COMMON=(env RUNS=1 DURATION=15 WARMUP=6 LOADGEN_JAR=/work/bench/loadgen-fast.jar JFR=0
  SKIP="relay dm dmbatch idle jmh")
for r in $(seq 1 "${ROUNDS:-2}"); do
  "${COMMON[@]}" BROKER_JAR=/work/bench/broker-before.jar benchmarks/bench.sh "$OUT/before-r$r"
  "${COMMON[@]}" BROKER_JAR=/work/bench/broker-after2.jar benchmarks/bench.sh "$OUT/after-r$r"
  rm -rf "$OUT"/*-r"$r"/broker-data
  gzip -f "$OUT"/*-r"$r"/broker.log 2>/dev/null || true
done
