#!/bin/sh
# After the JMH comparison: RoutingBenchmark now runs on pooled payloads and Netty threads as the server does, and the
# push benchmarks take the payload's arrays once in setup (the after jar of compare.sh counted a payload copy that
# the broker does not make there). The fixed harness at the commit after 586e04b (/work/bench/jmh-fourth2.jar), the
# same selection, twice. Usage: JARS=/work/bench OUT=docs/bench-data/2026-12-03-wave2d/jmh sh harness.sh
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OPTS="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
SEL='RoutingBenchmark.dmSendAndAck|RoutingBenchmark.broadcast|PushEncodeBenchmark.multicastPush|MeshLoopDmBenchmark'
for r in 1 2; do
  $J $OPTS -jar $JARS/jmh-fourth2.jar "$SEL" -p leases=100 -p size=256 -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc \
    -rf json -rff $OUT/harness-r$r.json > $OUT/harness-r$r.txt 2>&1
done
