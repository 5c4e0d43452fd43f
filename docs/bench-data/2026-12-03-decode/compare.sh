#!/bin/sh
# same-sitting before/after: two alternated rounds of each jar
JARS=${JARS:-/tmp/i15d}; OUT=${OUT:-.}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for r in 1 2; do
  for v in before after; do
    uptime
    $J --sun-misc-unsafe-memory-access=allow -jar $JARS/$v.jar "MeshLoopDmBenchmark|RoutingBenchmark.dmSendAndAck|EnvelopeDecodeBenchmark" \
      -p leases=100 -p size=256 -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc -rf json -rff $OUT/cmp-$v-r$r.json > $OUT/cmp-$v-r$r.txt 2>&1
  done
done
