#!/usr/bin/env bash
# dm max on 1 and 10 meshes with --db-pid, on a machine without a JDK (same bundle as device-probe.sh).
cd "$(dirname "$0")"
[ -x /tmp/jrt/bin/java ] || tar xJf jrt.txz -C /tmp; J=/tmp/jrt/bin/java
JO="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
LG="$J $JO -cp broker.jar:lgx.jar dev.claudemesh.broker.bench.loadgen.LoadGen"
rm -rf /tmp/bd; env BROKER_PORT=17900 BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 BROKER_DATA_DIR=/tmp/bd $J $JO -jar broker.jar > $OUT/broker3.log 2>&1 & BP=$!
for i in $(seq 120); do curl -sf http://127.0.0.1:17900/health >/dev/null && break; sleep 0.5; done
DB=$(head -1 /tmp/bd/postgres/postmaster.pid)
A="--url ws://127.0.0.1:17900/ws --admin-url http://127.0.0.1:17900 --admin-token t --broker-pid $BP --db-pid $DB"
$LG $A --scenario dm --peers 100 --size 256 --duration 20s --warmup 5s --json $OUT/dm-v3.json 2>&1 | grep -E "/s|ms p|CPU|lost"
$LG $A --scenario dm --peers 100 --meshes 10 --size 256 --duration 20s --warmup 5s --json $OUT/dm10-v3.json 2>&1 | grep -E "/s|ms p|CPU|lost"
kill $BP; wait $BP
