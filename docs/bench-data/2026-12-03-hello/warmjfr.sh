#!/usr/bin/env bash
# warmjfr.sh BROKER_JAR LOADGEN_JAR OUT: fresh broker, one discarded storm, then a storm with --storm-warmups 3 whose
# measured part is recorded by JFR (started when the generator logs its last warm-up storm)
set -euo pipefail
BJ=$1; LJ=$2; OUT=$3
JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=${PORT:-17950}
mkdir -p "$OUT"; rm -rf "$OUT/data"
BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
  BROKER_DATA_DIR="$OUT/data" "$JAVA" "${JOPTS[@]}" -jar "$BJ" > "$OUT/broker.log" 2>&1 &
BP=$!
trap 'kill $BP 2>/dev/null; wait $BP 2>/dev/null' EXIT
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$PORT/health >/dev/null 2>&1 && break; sleep 1; done
DB=$(head -1 "$OUT/data/postgres/postmaster.pid")
A=(--url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT --admin-token t --broker-pid $BP --db-pid $DB
   --scenario connect-storm --peers 2000 --meshes 20 --concurrency 256 --duration 120s)
"$JAVA" "${JOPTS[@]}" -jar "$LJ" "${A[@]}" --storm-warmups 0 --json "$OUT/discard.json" > /dev/null 2>&1 || true
sleep 3
: > "$OUT/loadgen.log"
"$JAVA" "${JOPTS[@]}" -jar "$LJ" "${A[@]}" --storm-warmups 3 --json "$OUT/storm.json" > "$OUT/storm.txt" 2>"$OUT/loadgen.log" &
LP=$!
until grep -q "warm-up storm 3" "$OUT/loadgen.log"; do sleep 0.2; kill -0 $LP 2>/dev/null || break; done
jcmd $BP JFR.start name=s settings=profile filename="$OUT/storm.jfr" >/dev/null
wait $LP || true
jcmd $BP JFR.stop name=s >/dev/null
python3 -c "
import json; d=json.load(open('$OUT/storm.json')); print(d['hellosPerSec'], d['brokerCpuS']*500, d['loadgenCpuS']*500, d['dbCpuS']*500, d['brokerCpuByThreadS'], d['loadgenCpuByThreadS'])"
