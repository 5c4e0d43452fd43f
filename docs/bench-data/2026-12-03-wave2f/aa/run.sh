#!/usr/bin/env bash
# A/A: the before jar (65ae7e6) against itself, "first" and "second" in every round, JSON peers: how far the order and
# the noise alone move the rate (after had the lower rate in every other series). Otherwise as steady/run.sh, with
# the fast generator (c74b61b). Usage: ROUNDS=3 run.sh   (from the repository root)
set -u
OUT=${OUT:-docs/bench-data/2026-12-03-wave2f/aa}
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=17900
run() { # NAME JAR PROTOCOL
  local data=/tmp/steady-data; rm -rf $data
  BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
    BROKER_WRITER_BATCH_SIZE=4096 BROKER_DATA_DIR=$data "$J" "${JOPTS[@]}" -jar "$2" > /tmp/steady-broker.log 2>&1 &
  local bp=$!
  for _ in $(seq 1 90); do curl -sf http://127.0.0.1:$PORT/health > /dev/null 2>&1 && break; sleep 1; done
  local db; db=$(head -1 $data/postgres/postmaster.pid)
  "$J" "${JOPTS[@]}" -jar /work/bench/loadgen-fast.jar --url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT \
    --admin-token t --broker-pid $bp --db-pid $db --protocol "$3" --scenario dm --peers 100 --size 256 \
    --duration 15s --warmup 20s --json "$OUT/$1.json" > "$OUT/$1.txt" 2>&1
  kill $bp; wait $bp 2>/dev/null
  for _ in $(seq 1 30); do kill -0 $db 2>/dev/null || break; sleep 1; done
}
for r in $(seq 1 "${ROUNDS:-3}"); do
  run first-r$r /work/bench/broker-before.jar json
  run second-r$r /work/bench/broker-before.jar json
done
