#!/bin/sh
# Heap per DM with and without Netty's object recycler (the broker's default since 18dead6 is without), on the mesh
# loop (MeshLoopDmBenchmark) and in RoutingBenchmark; benchmarks.jar at 1abe91c (/work/bench/jmh-s8.jar). Run while a
# unit-test loop used the other core, so the ns/op are not comparable; the B/op (gc.alloc.rate.norm) are.
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for cfg in default norec; do
  extra=""; [ $cfg = norec ] && extra="-jvmArgsAppend -Dio.netty.recycler.maxCapacityPerThread=0"
  $J --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED -jar /work/bench/jmh-s8.jar \
    'MeshLoopDmBenchmark|RoutingBenchmark.dmSendAndAck' -p leases=100 -p size=256 -f 1 -wi 3 -w 1s -i 5 -r 1s \
    -prof gc $extra -rf json -rff $cfg.json > $cfg.txt 2>&1
done
