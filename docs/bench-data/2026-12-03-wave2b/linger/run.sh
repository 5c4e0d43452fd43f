#!/usr/bin/env bash
# Linger A/B at 2 000 DMs/s (and max), alternated twice: the final broker with BROKER_WRITER_LINGER_US=0 and =500
# (linger only while nothing is in flight), and a build that lingers whatever is in flight ("always", 500 µs).
set -u
cd /work/main
OUT=docs/bench-data/2026-12-03-wave2b/linger
C=(env RUNS=1 DURATION=15 WARMUP=6 DM_RATE=2000 JFR=0 SKIP="relay dmbatch broadcast storm idle jmh" LOADGEN_JAR=/work/bench/loadgen.jar)
for r in 1 2; do
  "${C[@]}" BROKER_WRITER_LINGER_US=0 BROKER_JAR=/work/bench/broker-final.jar benchmarks/bench.sh $OUT/l0-r$r
  "${C[@]}" BROKER_WRITER_LINGER_US=500 BROKER_JAR=/work/bench/broker-final.jar benchmarks/bench.sh $OUT/l500-r$r
  "${C[@]}" BROKER_WRITER_LINGER_US=500 BROKER_JAR=/work/bench/broker-linger-always.jar benchmarks/bench.sh $OUT/always500-r$r
  rm -rf $OUT/*-r$r/broker-data; gzip -f $OUT/*-r$r/broker.log
done
