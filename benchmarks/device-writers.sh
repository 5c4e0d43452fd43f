#!/usr/bin/env bash
# dm max on 10 meshes with 1 durable writer, then on 10 meshes and on 1 mesh with the default writers (16 cores: 4);
# same bundle as device-probe.sh.
cd "$(dirname "$0")"
[ -x /tmp/jrt/bin/java ] || tar xJf jrt.txz -C /tmp; J=/tmp/jrt/bin/java
JO="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
LG="$J $JO -cp broker.jar:lgx.jar dev.claudemesh.broker.bench.loadgen.LoadGen"
run_broker() {
  rm -rf /tmp/bd; env BROKER_PORT=17900 BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 BROKER_DATA_DIR=/tmp/bd "$@" $J $JO -jar broker.jar > $OUT/broker-$#.log 2>&1 & BP=$!
  for i in $(seq 120); do curl -sf http://127.0.0.1:17900/health >/dev/null && break; sleep 0.5; done
  DB=$(head -1 /tmp/bd/postgres/postmaster.pid)
  A="--url ws://127.0.0.1:17900/ws --admin-url http://127.0.0.1:17900 --admin-token t --broker-pid $BP --db-pid $DB"
}
run_broker BROKER_WRITER_THREADS=1
$LG $A --scenario dm --peers 100 --meshes 10 --size 256 --duration 15s --warmup 5s --json $OUT/dm10-w1.json 2>&1 | grep -E "acked/s|CPU"
kill $BP; wait $BP
run_broker
grep -o "writerThreads=[0-9]*" $OUT/broker-0.log
$LG $A --scenario dm --peers 100 --meshes 10 --size 256 --duration 15s --warmup 5s --json $OUT/dm10-w4.json 2>&1 | grep -E "acked/s|CPU"
$LG $A --scenario dm --peers 100 --size 256 --duration 15s --warmup 5s --json $OUT/dm1-w4.json 2>&1 | grep -E "acked/s|CPU"
kill $BP; wait $BP
