#!/usr/bin/env bash
# quick A/B of JVM properties on the same broker jar, steady dm, alternated
set -u
# (run from /work/s8 on 3 Dec 2026, twice: ROUNDS=2 -> series-a, ROUNDS=3 -> series-b; kept as run)
OUT=/work/s8/props; mkdir -p $OUT
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=17900
run() { # NAME JAR EXTRA...
  local name=$1 jar=$2; shift 2
  local data=/tmp/steady-data; rm -rf $data
  BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
    BROKER_WRITER_BATCH_SIZE=4096 BROKER_DATA_DIR=$data "$J" "${JOPTS[@]}" "$@" -jar "$jar" > /tmp/steady-broker.log 2>&1 &
  local bp=$!
  for _ in $(seq 1 90); do curl -sf http://127.0.0.1:$PORT/health > /dev/null 2>&1 && break; sleep 1; done
  local db; db=$(head -1 $data/postgres/postmaster.pid)
  "$J" "${JOPTS[@]}" -jar /work/bench/loadgen-third.jar --url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT \
    --admin-token t --broker-pid $bp --db-pid $db --protocol json --scenario dm --peers 100 --size 256 \
    --duration 15s --warmup 20s --json "$OUT/$name.json" > "$OUT/$name.txt" 2>&1
  kill $bp; wait $bp 2>/dev/null
  for _ in $(seq 1 30); do kill -0 $db 2>/dev/null || break; sleep 1; done
}
JAR=/work/bench/broker-fourth.jar
for r in $(seq 1 "${ROUNDS:-3}"); do
  run base-r$r $JAR
  run leak-r$r $JAR -Dio.netty.leakDetection.samplingInterval=4096
  run norec-r$r $JAR -Dio.netty.leakDetection.samplingInterval=4096 -Dio.netty.recycler.maxCapacityPerThread=0
done
