#!/usr/bin/env bash
# Hello storms with and without Netty's object recycler, on the same broker jar (6a453b0, /work/bench/broker-s8-final.jar):
# "norec" is the broker's default (NettyDefaults), "rec" turns recycling back on with Netty's own per-thread capacity
# (-Dio.netty.recycler.maxCapacityPerThread=4096). As bench.sh's storm: a fresh broker and embedded database, one
# discarded storm, then one measured storm of 2 000 peers in 20 meshes. Alternated. Usage: ROUNDS=3 run.sh (repo root)
set -u
OUT=docs/bench-data/2026-12-03-wave2e/storm
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=17900
run() { # NAME EXTRA...
  local name=$1; shift
  local data=/tmp/storm-data; rm -rf $data
  BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
    BROKER_DATA_DIR=$data "$J" "${JOPTS[@]}" "$@" -jar /work/bench/broker-s8-final.jar > /tmp/storm-broker.log 2>&1 &
  local bp=$!
  for _ in $(seq 1 90); do curl -sf http://127.0.0.1:$PORT/health > /dev/null 2>&1 && break; sleep 1; done
  local db; db=$(head -1 $data/postgres/postmaster.pid)
  local args=(--url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT --admin-token t --broker-pid $bp
    --db-pid $db --scenario connect-storm --peers 2000 --meshes 20 --concurrency 256 --duration 120s)
  "$J" "${JOPTS[@]}" -jar /work/bench/loadgen-third.jar "${args[@]}" --json "$OUT/$name-warmup.json" > /dev/null 2>&1
  sleep 5
  "$J" "${JOPTS[@]}" -jar /work/bench/loadgen-third.jar "${args[@]}" --json "$OUT/$name.json" > "$OUT/$name.txt" 2>&1
  kill $bp; wait $bp 2>/dev/null
  for _ in $(seq 1 30); do kill -0 $db 2>/dev/null || break; sleep 1; done
}
for r in $(seq 1 "${ROUNDS:-3}"); do
  run norec-r$r
  run rec-r$r -Dio.netty.recycler.maxCapacityPerThread=4096
done
