#!/usr/bin/env bash
# steady dm with perf sampling the broker during the measured window; JIT symbols via perf map.
# Usage: OUT=/work/perf perf.sh NAME BROKER_JAR json|binary (OUT outside the repository: the perf data is large; the
# summaries kept here come from summarize.sh)
set -u
OUT=${OUT:-/work/perf}; mkdir -p $OUT
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=17900
NAME=${1:-perf}; JAR=${2:-/work/bench/broker-after2.jar}; PROTO=${3:-json}
data=/tmp/steady-data; rm -rf $data
BROKER_EVENT_LOOP_THREADS=${LOOPS:-0} BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
  BROKER_WRITER_BATCH_SIZE=4096 BROKER_DATA_DIR=$data "$J" "${JOPTS[@]}" -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer -jar "$JAR" > /tmp/steady-broker.log 2>&1 &
bp=$!
for _ in $(seq 1 90); do curl -sf http://127.0.0.1:$PORT/health > /dev/null 2>&1 && break; sleep 1; done
db=$(head -1 $data/postgres/postmaster.pid)
( sleep 23; perf record -F 497 -g -p $bp -o $OUT/$NAME.data -- sleep 12 > /dev/null 2>&1 ) & pp=$!
"$J" "${JOPTS[@]}" -jar /work/bench/loadgen-fast.jar --url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT \
  --admin-token t --broker-pid $bp --db-pid $db --protocol "$PROTO" --scenario dm --peers 100 --size 256 \
  --duration 15s --warmup 20s --json "$OUT/$NAME.json" > "$OUT/$NAME.txt" 2>&1
wait $pp
kill $bp; wait $bp 2>/dev/null
for _ in $(seq 1 30); do kill -0 $db 2>/dev/null || break; sleep 1; done
cp /tmp/perf-$bp.map $OUT/ 2>/dev/null; echo "pid $bp"
