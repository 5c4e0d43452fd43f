#!/usr/bin/env bash
# cmp.sh BROKER_JAR OUT "NAME:JAR:EXTRA_ARGS" ...: fresh broker, one discarded storm (bench.sh's), then each variant in
# the order given, all with --admin-url provisioning as bench.sh does (2000 peers, 20 meshes, concurrency 256)
set -euo pipefail
BJ=$1; OUT=$2; shift 2
JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=${PORT:-17950}
mkdir -p "$OUT"; rm -rf "$OUT/data"
BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
  BROKER_DATA_DIR="$OUT/data" "$JAVA" "${JOPTS[@]}" ${BROKER_JOPTS:-} -jar "$BJ" > "$OUT/broker.log" 2>&1 &
BP=$!
trap 'kill $BP 2>/dev/null; wait $BP 2>/dev/null' EXIT
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$PORT/health >/dev/null 2>&1 && break; sleep 1; done
DB=$(head -1 "$OUT/data/postgres/postmaster.pid")
lg() { local n=$1 jar=$2; shift 2; "$JAVA" "${JOPTS[@]}" -jar "$jar" --url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT \
   --admin-token t --broker-pid $BP --db-pid $DB --scenario connect-storm --peers 2000 --meshes 20 --concurrency 256 \
   --duration 120s --json "$OUT/$n.json" "$@" 2>>"$OUT/loadgen.log" > "$OUT/$n.txt" || true; sleep 3; }
first=${1#*:}; lg warmup "${first%%:*}"
i=0
for v in "$@"; do
  i=$((i+1)); name=${v%%:*}; rest=${v#*:}; jar=${rest%%:*}; extra=${rest#*:}
  lg "$i-$name" "$jar" $extra
done
for f in "$OUT"/[0-9]*.json; do python3 -c "
import json; d=json.load(open('$f')); b=d.get('brokerCpuByThreadS',{}); l=d.get('loadgenCpuByThreadS',{})
print('%-14s %7.0f/s  us/hello broker %5.0f db %4.0f loadgen %5.0f | broker loops %.2f jit %.2f writer %.2f | loadgen loops %.2f jit %.2f | p99 %s ms' % ('$f'.split('/')[-1][:-5], d['hellosPerSec'], d['brokerCpuS']*1e6/2000, d['dbCpuS']*1e6/2000, d['loadgenCpuS']*1e6/2000, b.get('broker-loop-N-N',0), b.get('CN CompilerThre',0), b.get('broker-db-write',0), l.get('loadgen-loop-N-',0), l.get('CN CompilerThre',0), d['helloLatencyMs']['p99']))"; done
