#!/usr/bin/env bash
# Heap allocated per DM in the running broker (not JMH): dm at max load (10 s warm-up, 20 s measured), JFR recording
# 10 s inside the measured window; jdk.ThreadAllocationStatistics at the recording's start and end gives the bytes each
# thread allocated; divided by the DMs acked in those 10 s (the generator's acked/s x 10). Before (59ccb85) and after
# alternated twice, a fresh broker and database per run. Usage: run.sh (from the repository root); then
# python3 tabulate.py (in this folder).
set -u
OUT=docs/bench-data/2026-12-03-wave2d/heap
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=17900
run() { # NAME JAR
  local data=/tmp/heap-data; rm -rf $data
  BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
    BROKER_WRITER_BATCH_SIZE=4096 BROKER_DATA_DIR=$data "$J" "${JOPTS[@]}" \
    -XX:StartFlightRecording:delay=25s,duration=10s,filename=/tmp/heap-$1.jfr -jar "$2" > /tmp/heap-broker.log 2>&1 &
  local bp=$!
  for _ in $(seq 1 90); do curl -sf http://127.0.0.1:$PORT/health > /dev/null 2>&1 && break; sleep 1; done
  local db; db=$(head -1 $data/postgres/postmaster.pid)
  "$J" "${JOPTS[@]}" -jar /work/bench/loadgen-third.jar --url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT \
    --admin-token t --broker-pid $bp --db-pid $db --scenario dm --peers 100 --size 256 \
    --duration 20s --warmup 10s --json "$OUT/$1.json" > "$OUT/$1.txt" 2>&1
  kill $bp; wait $bp 2>/dev/null
  "${J%java}jfr" print --events jdk.ThreadAllocationStatistics /tmp/heap-$1.jfr > /tmp/heap-$1-alloc.txt
  gzip -c /tmp/heap-$1-alloc.txt > "$OUT/$1-alloc.txt.gz"; rm -f /tmp/heap-$1.jfr
  for _ in $(seq 1 30); do kill -0 $db 2>/dev/null || break; sleep 1; done
}
for r in 1 2; do
  run before-r$r /work/bench/broker-59ccb85.jar
  run after-r$r /work/bench/broker-fourth.jar
done
