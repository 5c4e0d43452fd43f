#!/bin/sh
# Heap and time per DM on the mesh loop (MeshLoopDmBenchmark), JSON and binary peers, before (main at 65ae7e6 with
# this sitting's binary variant of the benchmark) and after (the binary socket's reused Inbound and scratch writers),
# alternated twice, recycler off as the broker runs. Usage: sh run.sh (from this folder).
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for round in 1 2; do
  for jar in before after1; do
    $J --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED -jar /work/bench/jmh-$jar.jar \
      'MeshLoopDmBenchmark' -p protocol=json,binary -f 1 -wi 3 -w 2s -i 5 -r 2s \
      -jvmArgsAppend -Dio.netty.recycler.maxCapacityPerThread=0 -prof gc -rf json -rff $jar-r$round.json \
      > $jar-r$round.txt 2>&1
  done
done
