#!/usr/bin/env bash
# A third round of the linger A/B (the final broker, linger 0 against 500), to check the direction of run.sh's rounds.
set -u
cd /work/main
OUT=docs/bench-data/2026-12-03-wave2b/linger
C=(env RUNS=1 DURATION=15 WARMUP=6 DM_RATE=2000 JFR=0 SKIP="relay dmbatch broadcast storm idle jmh" LOADGEN_JAR=/work/bench/loadgen.jar)
"${C[@]}" BROKER_WRITER_LINGER_US=500 BROKER_JAR=/work/bench/broker-final.jar benchmarks/bench.sh $OUT/l500-r3
"${C[@]}" BROKER_WRITER_LINGER_US=0 BROKER_JAR=/work/bench/broker-final.jar benchmarks/bench.sh $OUT/l0-r3
rm -rf $OUT/*-r3/broker-data; gzip -f $OUT/*-r3/broker.log
