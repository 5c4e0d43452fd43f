#!/usr/bin/env bash
# One measurement session, as docs/BENCHMARKS.md reports it: the bare relay baseline, dm (max throughput, then
# latency at half that rate), broadcast, connect-storm and idle against the real broker, each RUNS times, then the
# JMH suite with -prof gc. Every run writes its JSON report to OUT; summary.txt has the medians.
#
#   benchmarks/bench.sh [OUT_DIR]
#
# Needs: broker-netty/target/claudemesh-broker.jar and benchmarks/target/{loadgen,benchmarks}.jar built
# (./mvnw -pl broker-core,broker-db,broker-netty,benchmarks package -DskipTests). Everything listens on 127.0.0.1.
# Knobs (environment): JAVA, RUNS (3), DURATION (30, seconds), WARMUP (10), PEERS (100), SIZE (256), STORM_PEERS (2000),
# IDLE_PEERS (19000), IDLE_SECONDS (20), SKIP (space-separated steps to skip: relay dm dmbatch broadcast storm idle
# jmh),
# JMH_ARGS (default: -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc), JFR (1: record the broker during the first max-dm run),
# BROKER_JAR (another build of the broker, e.g. an older commit's jar for a before/after with the same generator), LOADGEN_JAR,
# PROTOCOL (json or binary: the dm and broadcast runs' client protocol), DM_RATE (the open-loop dm rate; default half
# the max-dm median), PORT (the broker's, default 17900) and RELAY_PORT (default PORT + 1), so that two sessions can
# run side by side (their figures are then not comparable, only a check that something works).
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JOPTS=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
RUNS=${RUNS:-3}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-10}
PEERS=${PEERS:-100}
SIZE=${SIZE:-256}
STORM_PEERS=${STORM_PEERS:-2000}
IDLE_PEERS=${IDLE_PEERS:-19000}
IDLE_SECONDS=${IDLE_SECONDS:-20}
SKIP=${SKIP:-}
JMH_ARGS=${JMH_ARGS:--f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc}
JFR=${JFR:-1}
OUT=${1:-benchmarks/target/results-$(date +%Y%m%d-%H%M%S)}
PORT=${PORT:-17900}
RELAY_PORT=${RELAY_PORT:-$((PORT + 1))}
TOKEN=bench-token
BROKER_JAR=${BROKER_JAR:-broker-netty/target/claudemesh-broker.jar}
PROTOCOL=${PROTOCOL:-json}
LOADGEN_JAR=${LOADGEN_JAR:-benchmarks/target/loadgen.jar}
JMH_JAR=benchmarks/target/benchmarks.jar
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BROKER_PID=
RELAY_PID=

log() { echo "[bench $(date +%T)] $*" | tee -a "$OUT/session.log" >&2; }
skip() { [[ " $SKIP " == *" $1 "* ]]; }

cleanup() {
  [[ -n "$BROKER_PID" ]] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null || true
  [[ -n "$RELAY_PID" ]] && kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null || true
}
trap cleanup EXIT

start_broker() { # [MAX_CONNECTIONS_PER_MESH] [BROKER_WRITER_BATCH_SIZE]
  local data="$OUT/broker-data"
  rm -rf "$data"
  if curl -sf "http://127.0.0.1:$PORT/health" > /dev/null 2>&1; then
    log "port $PORT is taken by another server: stop it first"; exit 1
  fi
  BROKER_PORT=$PORT BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=$TOKEN SEND_RATE_LIMIT_PER_MIN=0 \
    MAX_CONNECTIONS_PER_MESH=${1:-1000} BROKER_WRITER_BATCH_SIZE=${2:-4096} BROKER_DATA_DIR="$data" \
    "$JAVA" "${JOPTS[@]}" -jar "$BROKER_JAR" >> "$OUT/broker.log" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 1 120); do
    kill -0 "$BROKER_PID" 2>/dev/null || { log "broker exited during startup (see broker.log)"; exit 1; }
    curl -sf "http://127.0.0.1:$PORT/health" > /dev/null 2>&1 && { log "broker up (pid $BROKER_PID)"; return; }
    sleep 1
  done
  log "broker did not start"; exit 1
}

stop_broker() {
  local db
  db=$(head -1 "$OUT/broker-data/postgres/postmaster.pid" 2>/dev/null || true)
  [[ -n "$BROKER_PID" ]] && kill "$BROKER_PID" && wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=
  # The embedded PostgreSQL is a daemon of its own: let it exit before the next broker reuses the data dir.
  for _ in $(seq 1 30); do
    [[ -n "$db" ]] && kill -0 "$db" 2>/dev/null || break
    sleep 1
  done
}

loadgen() { # NAME ARGS...
  local name=$1; shift
  log "loadgen $name: $*"
  "$JAVA" "${JOPTS[@]}" -jar "$LOADGEN_JAR" "$@" --json "$OUT/$name.json" 2>> "$OUT/loadgen.log" \
    | tee -a "$OUT/tables.txt" || log "loadgen $name exited $? (errors, lost or duplicates: see its table)"
}

broker_args() {
  local db
  db=$(head -1 "$OUT/broker-data/postgres/postmaster.pid" 2>/dev/null || true)
  echo --url ws://127.0.0.1:$PORT/ws --admin-url http://127.0.0.1:$PORT --admin-token $TOKEN --broker-pid "$BROKER_PID" \
    ${db:+--db-pid $db}
}

# median of field $2 over files $1 (a glob)
median() {
  python3 - "$1" "$2" <<'EOF'
import glob, json, statistics, sys
vals = []
for f in sorted(glob.glob(sys.argv[1])):
    v = json.load(open(f))
    for k in sys.argv[2].split('.'):
        v = v.get(k) if isinstance(v, dict) else None
    if v is not None:
        vals.append(v)
print(round(statistics.median(vals), 3) if vals else "n/a")
EOF
}

log "session: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("$JAVA" -version 2>&1 | head -1)"

if ! skip relay; then
  "$JAVA" "${JOPTS[@]}" -jar "$LOADGEN_JAR" relay-server --port $RELAY_PORT >> "$OUT/relay.log" 2>&1 &
  RELAY_PID=$!
  sleep 2
  for r in $(seq 1 "$RUNS"); do
    loadgen "relay-$r" --url ws://127.0.0.1:$RELAY_PORT/ws --scenario relay --peers "$PEERS" --size "$SIZE" \
      --duration "${DURATION}s" --warmup "${WARMUP}s" --broker-pid "$RELAY_PID"
  done
  kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null || true; RELAY_PID=
fi

if ! skip dm; then
  start_broker 1000
  for r in $(seq 1 "$RUNS"); do
    if [[ "$JFR" == 1 && $r == 1 ]]; then
      ( sleep $((WARMUP + 8)); "$(dirname "$JAVA")/jcmd" "$BROKER_PID" JFR.start name=dm settings=profile \
          duration=$((DURATION - 10))s filename="$OUT/broker-dm.jfr" > /dev/null ) &
    fi
    loadgen "dm-max-$r" $(broker_args) --protocol "$PROTOCOL" --scenario dm --peers "$PEERS" --size "$SIZE" \
      --duration "${DURATION}s" --warmup "${WARMUP}s"
  done
  MAX=$(median "$OUT/dm-max-*.json" ackedPerSec)
  [[ "$MAX" == n/a ]] && { log "no dm-max result"; exit 1; }
  HALF=${DM_RATE:-$(python3 -c "print(max(1, int(float('$MAX') / 2)))")}
  log "dm half rate: $HALF msg/s"
  for r in $(seq 1 "$RUNS"); do
    loadgen "dm-half-$r" $(broker_args) --protocol "$PROTOCOL" --scenario dm --peers "$PEERS" --size "$SIZE" --rate "$HALF" \
      --duration "${DURATION}s" --warmup "${WARMUP}s"
  done
  stop_broker
fi

if ! skip dmbatch; then
  # The same max-throughput dm run with the old, smaller writer batch (512 ops; the default is 4096): fewer delivery
  # marks fold into their enqueue when batches are small.
  start_broker 1000 512
  for r in $(seq 1 "$RUNS"); do
    loadgen "dm-batch512-$r" $(broker_args) --scenario dm --peers "$PEERS" --size "$SIZE" \
      --duration "${DURATION}s" --warmup "${WARMUP}s"
  done
  stop_broker
fi

if ! skip broadcast; then
  start_broker 1000
  for r in $(seq 1 "$RUNS"); do
    loadgen "broadcast-$r" $(broker_args) --protocol "$PROTOCOL" --scenario broadcast --peers "$PEERS" --size "$SIZE" --window 4 \
      --duration "${DURATION}s" --warmup "${WARMUP}s"
  done
  stop_broker
fi

if ! skip storm; then
  start_broker 1000
  # One discarded storm first: a fresh broker verifies its first few thousand signatures in the interpreter.
  loadgen "storm-warmup" $(broker_args) --scenario connect-storm --peers "$STORM_PEERS" --meshes $((STORM_PEERS / 100)) \
    --concurrency 256 --duration 120s
  sleep 5
  for r in $(seq 1 "$RUNS"); do
    loadgen "storm-$r" $(broker_args) --scenario connect-storm --peers "$STORM_PEERS" --meshes $((STORM_PEERS / 100)) \
      --concurrency 256 --duration 120s
    sleep 5
  done
  stop_broker
fi

if ! skip idle; then
  # One process may hold at most `ulimit -n` descriptors: the broker and the generator each need one per peer.
  for r in $(seq 1 "$RUNS"); do
    start_broker 1000
    loadgen "idle-$r" $(broker_args) --scenario idle --peers "$IDLE_PEERS" --meshes $((IDLE_PEERS / 100)) --members-per-mesh 10 \
      --concurrency 256 --duration "${IDLE_SECONDS}s"
    stop_broker
  done
fi

if ! skip jmh; then
  log "jmh: $JMH_ARGS"
  # shellcheck disable=SC2086
  "$JAVA" "${JOPTS[@]}" -jar "$JMH_JAR" $JMH_ARGS -rf json -rff "$OUT/jmh.json" > "$OUT/jmh.txt" 2>&1 \
    || log "jmh failed (see jmh.txt)"
fi

{
  echo "medians of $RUNS runs ($(nproc) cores; load at end $(cut -d' ' -f1-3 /proc/loadavg))"
  for s in relay dm-max dm-half dm-batch512 broadcast; do
    ls "$OUT"/$s-[0-9]*.json > /dev/null 2>&1 || continue
    echo "$s: ackedPerSec=$(median "$OUT/$s-[0-9]*.json" ackedPerSec) pushedPerSec=$(median "$OUT/$s-[0-9]*.json" pushedPerSec)" \
      "framesPerSec=$(median "$OUT/$s-[0-9]*.json" framesPerSec) pushP99ms=$(median "$OUT/$s-[0-9]*.json" pushLatencyMs.p99)" \
      "ackP99ms=$(median "$OUT/$s-[0-9]*.json" ackLatencyMs.p99) brokerCpuPct=$(median "$OUT/$s-[0-9]*.json" brokerCpuPct)" \
      "dbCpuS=$(median "$OUT/$s-[0-9]*.json" dbCpuS) loadgenCpuS=$(median "$OUT/$s-[0-9]*.json" loadgenCpuS)" \
      "brokerCpuUsPerMsg=$(median "$OUT/$s-[0-9]*.json" brokerCpuUsPerMsg) dbCpuUsPerMsg=$(median "$OUT/$s-[0-9]*.json" dbCpuUsPerMsg)" \
      "errors=$(median "$OUT/$s-[0-9]*.json" errors) lost=$(median "$OUT/$s-[0-9]*.json" lost)"
  done
  ls "$OUT"/storm-[0-9]*.json > /dev/null 2>&1 && echo "connect-storm: hellosPerSec=$(median "$OUT/storm-[0-9]*.json" hellosPerSec)" \
    "helloP99ms=$(median "$OUT/storm-[0-9]*.json" helloLatencyMs.p99) failures=$(median "$OUT/storm-[0-9]*.json" helloFailures)"
  ls "$OUT"/idle-*.json > /dev/null 2>&1 && echo "idle: peers=$(median "$OUT/idle-*.json" hellosOk)" \
    "heapPerPeerBytes=$(median "$OUT/idle-*.json" heapPerPeerBytes) rssPerPeerBytes=$(median "$OUT/idle-*.json" rssPerPeerBytes)"
  if [[ -f "$OUT/broker-dm.jfr" ]]; then
    echo; "$JAVA" -jar "$LOADGEN_JAR" jfr-summary "$OUT/broker-dm.jfr" 15
  fi
} | tee "$OUT/summary.txt"
log "done: $OUT"
