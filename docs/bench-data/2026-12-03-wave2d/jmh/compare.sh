#!/bin/sh
# JMH before/after of the fourth sitting: benchmarks.jar at 59ccb85 (before) and at the commit in
# /work/bench/fourth-commit (after), alternated twice, each with -prof gc. MeshLoopDmBenchmark runs on Netty
# FastThreadLocalThreads in the after jar only (EventLoopThreads, new in this sitting; the before jar has no such
# class and allocated nothing from Netty's pool on the mesh loop, so its figure does not depend on the thread kind).
# Usage: JARS=/work/bench OUT=docs/bench-data/2026-12-03-wave2d/jmh sh compare.sh
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OPTS="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
SEL='MeshLoopDmBenchmark|RoutingBenchmark.dmSendAndAck|RoutingBenchmark.broadcast|EnvelopeDecodeBenchmark.decodeSend|EnvelopeDecodeBenchmark.decodeClientAck|WriterBatchBenchmark.writerBatch|PushEncodeBenchmark'
for r in 1 2; do
  for v in before after; do
    jar=$JARS/jmh-59ccb85.jar; [ $v = after ] && jar=$JARS/jmh-fourth.jar
    $J $OPTS -jar $jar "$SEL" -p leases=100 -p size=256 -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc \
      -rf json -rff $OUT/$v-r$r.json > $OUT/$v-r$r.txt 2>&1
  done
done
