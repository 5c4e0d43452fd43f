#!/usr/bin/env bash
# Alternates the WriterBatchBenchmark of the jar before and after the writer split, ROUNDS times each.
set -euo pipefail
JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OUT=${OUT:-/tmp/writer-jmh}
ROUNDS=${ROUNDS:-3}
for r in $(seq 1 "$ROUNDS"); do
  for v in before after; do
    echo "[$(date +%T)] round $r $v load=$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/session.log"
    "$JAVA" --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED \
      -jar /tmp/writer-$v/benchmarks.jar WriterBatchBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc \
      -rf json -rff "$OUT/$v-$r.json" > "$OUT/$v-$r.txt" 2>&1
  done
done
