#!/bin/sh
# JMH before/after of the second sitting: benchmarks.jar at 5cff87f (before) and at the final commit (after),
# alternated twice, each with -prof gc; then the ed25519 verifications (BouncyCastle against libsodium) once.
# Usage: JARS=/work/bench OUT=docs/bench-data/2026-12-03-wave2b/jmh sh compare.sh
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
OPTS="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
SEL='MeshLoopDmBenchmark|RoutingBenchmark.dmSendAndAck|RoutingBenchmark.broadcast|EnvelopeDecodeBenchmark.decodeSend|EnvelopeDecodeBenchmark.decodeClientAck|WriterBatchBenchmark.writerBatch|AuditHashBenchmark.hashMessageSent'
for r in 1 2; do
  for v in before after; do
    jar=$JARS/jmh-5cff87f.jar; [ $v = after ] && jar=$JARS/jmh-final.jar
    $J $OPTS -jar $jar "$SEL" -p leases=100 -p size=256 -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc \
      -rf json -rff $OUT/$v-r$r.json > $OUT/$v-r$r.txt 2>&1
  done
done
$J $OPTS -jar $JARS/jmh-final.jar 'HelloVerifyBenchmark.verifySignature$|HelloVerifyBenchmark.verifySignatureLibsodium|HelloVerifyBenchmark.sessionHello' \
  -f 1 -wi 3 -w 1s -i 5 -r 1s -rf json -rff $OUT/hello.json > $OUT/hello.txt 2>&1
