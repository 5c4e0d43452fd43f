#!/usr/bin/env bash
# storm.sh BROKER_JAR LOADGEN_JAR OUT [RUNS] [JFR=1]: fresh broker, fixtures provisioned first, one warm-up storm,
# then RUNS storms (2000 peers, 20 meshes, concurrency 256); per-thread CPU of the broker and of the generator
set -euo pipefail
BJ=$1; LJ=$2; OUT=$3; RUNS=${4:-2}; JFR=${5:-1}
JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
PORT=${PORT:-17950}
H=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"; rm -rf "$OUT/data"
BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 \
  BROKER_DATA_DIR="$OUT/data" "$JAVA" "${JOPTS[@]}" ${BROKER_JOPTS:-} -jar "$BJ" > "$OUT/broker.log" 2>&1 &
BP=$!
trap 'kill $BP 2>/dev/null; wait $BP 2>/dev/null' EXIT
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$PORT/health >/dev/null 2>&1 && break; sleep 1; done
DB=$(head -1 "$OUT/data/postgres/postmaster.pid")
for f in warm $(seq 1 $RUNS); do
  "$JAVA" "${JOPTS[@]}" -jar "$LJ" provision --admin-url http://127.0.0.1:$PORT --admin-token t --peers 2000 --meshes 20 \
     --out "$OUT/fx-$f.json" 2>>"$OUT/loadgen.log" >/dev/null
done
lg() { local pre=(); [[ ${LGPERF:-0} == 1 && $1 == 1 ]] && pre=(perf record -F 499 -g -o "$OUT/lg-perf.data" --); "${pre[@]}" "$JAVA" "${JOPTS[@]}" ${LG_JOPTS:-} -jar "$LJ" --url ws://127.0.0.1:$PORT/ws --fixture "$OUT/fx-$1.json" \
   --broker-pid $BP --db-pid $DB --scenario connect-storm --peers 2000 --concurrency 256 --duration 120s --json "$OUT/storm-$1.json" \
   2>>"$OUT/loadgen.log" | tail -n 30 > "$OUT/storm-$1.txt"; }
lg warm; sleep 3
for r in $(seq 1 $RUNS); do
  if [[ $JFR == 1 && $r == 1 ]]; then jcmd $BP JFR.start name=s settings=profile filename="$OUT/storm.jfr" >/dev/null; fi
  python3 $H/threads.py $BP > "$OUT/thr-$r-a.txt"; wc -l < "$OUT/broker.log" > "$OUT/log-$r-a"
  if [[ ${PERF:-0} == 1 && $r == 2 ]]; then perf record -F 499 -g -p $BP -o "$OUT/perf.data" 2>/dev/null & PP=$!; fi
  lg $r
  if [[ ${PERF:-0} == 1 && $r == 2 ]]; then kill -INT $PP; wait $PP || true; jcmd $BP Compiler.perfmap >/dev/null; fi
  python3 $H/threads.py $BP > "$OUT/thr-$r-b.txt"; wc -l < "$OUT/broker.log" > "$OUT/log-$r-b"
  if [[ $JFR == 1 && $r == 1 ]]; then jcmd $BP JFR.stop name=s >/dev/null; fi
  python3 $H/tdiff.py "$OUT/thr-$r-a.txt" "$OUT/thr-$r-b.txt" 2000 > "$OUT/thr-$r.txt"
  sleep 3
done
for f in "$OUT"/storm-[0-9]*.json; do python3 -c "
import json,sys; d=json.load(open('$f'))
print('$f'.split('/')[-1], {k:d.get(k) for k in ['hellosPerSec','hellosOk','helloFailures','brokerCpuS','dbCpuS','loadgenCpuS','durationS']}, 'p99', d.get('helloLatencyMs',{}).get('p99'))"; done
