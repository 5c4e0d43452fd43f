#!/bin/sh
# The JSON push and ack encoders with their names encoded once (JsonOut.Encoded), against before (after1 = the binary
# change only), alternated twice; and MeshLoopDmBenchmark JSON. Usage: sh push.sh (from this folder).
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
for round in 1 2; do
  for jar in after1 after2; do
    $J --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED -jar /work/bench/jmh-$jar.jar \
      'PushEncodeBenchmark.(dmPush|ackQueued)|MeshLoopDmBenchmark' -p protocol=json -f 1 -wi 3 -w 2s -i 5 -r 2s \
      -jvmArgsAppend -Dio.netty.recycler.maxCapacityPerThread=0 -prof gc -rf json -rff push-$jar-r$round.json \
      > push-$jar-r$round.txt 2>&1
  done
done
