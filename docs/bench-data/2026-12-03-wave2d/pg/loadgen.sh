#!/usr/bin/env bash
# PostgreSQL CPU per DM at max load, before/after V12 (audit_log with one index): the loadgen's dm scenario as
# docs/bench-data/2026-12-03-wave2c/steady/run.sh runs it (20 s warm-up, 15 s measured), BEFORE_JAR and AFTER_JAR
# alternated, a fresh broker and embedded database per run. Prints dbCpuUsPerMsg and brokerCpuUsPerMsg per run.
# Usage (from the repository root, on a quiet machine):
#   BEFORE_JAR=/work/bench/broker-main.jar AFTER_JAR=/work/bench/broker-i15-pg.jar \
#   LOADGEN_JAR=/work/bench/loadgen-third.jar ROUNDS=3 docs/bench-data/2026-12-03-wave2d/pg/loadgen.sh
set -u
OUT=${OUT:-docs/bench-data/2026-12-03-wave2d/pg/loadgen}
J=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=${PORT:-17900}
mkdir -p "$OUT"
run() { # NAME JAR
  local data=/tmp/wave2d-pg-data; rm -rf $data
  BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
    BROKER_WRITER_BATCH_SIZE=4096 BROKER_DATA_DIR=$data "$J" "${JOPTS[@]}" -jar "$2" > "$OUT/$1-broker.log" 2>&1 &
  local bp=$!
  for _ in $(seq 1 90); do curl -sf http://127.0.0.1:$PORT/health > /dev/null 2>&1 && break; sleep 1; done
  local db; db=$(head -1 $data/postgres/postmaster.pid)
  "$J" "${JOPTS[@]}" -jar "$LOADGEN_JAR" --url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT \
    --admin-token t --broker-pid $bp --db-pid $db --protocol json --scenario dm --peers 100 --size 256 \
    --duration 15s --warmup 20s --json "$OUT/$1.json" > "$OUT/$1.txt" 2>&1
  kill $bp; wait $bp 2>/dev/null
  for _ in $(seq 1 30); do kill -0 $db 2>/dev/null || break; sleep 1; done
  printf '%-10s %s\n' "$1" "$(grep -o '"\(dbCpuUsPerMsg\|brokerCpuUsPerMsg\|ackedPerSec\)" *: *[0-9.]*' "$OUT/$1.json" | tr '\n' ' ')"
}
for r in $(seq 1 "${ROUNDS:-3}"); do
  run before-r$r "$BEFORE_JAR"
  run after-r$r "$AFTER_JAR"
done
