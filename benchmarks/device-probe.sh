#!/usr/bin/env bash
# Multi-core scaling probe (docs/BENCHMARKS.md, "16 cores"): relay, dm max, two connect-storms, broadcast, on a machine
# without a JDK. Layout, beside this script: broker.jar (the broker jar without the non-linux-x86_64 PostgreSQL
# archives and BouncyCastle pqc/jcajce/jce/x509, to fit a 64 MiB transfer), lgx.jar (the load generator classes
# and HdrHistogram, run on the broker jar's class path) and jrt.txz (a jlink of Temurin 25 with java.base, java.sql,
# java.naming, java.management, jdk.unsupported, java.logging, java.xml, java.net.http, jdk.zipfs, jdk.security.auth).
# Results go to $OUT.
cd "$(dirname "$0")"
[ -x /tmp/jrt/bin/java ] || tar xJf jrt.txz -C /tmp; J=/tmp/jrt/bin/java
echo "java: $J"; [ -z "$J" ] && { echo "no java"; ls /usr/lib/jvm /opt 2>/dev/null; exit 3; }
$J -version 2>&1 | head -2; nproc; ulimit -Hn; ulimit -n $(ulimit -Hn); ulimit -n
V=$($J -version 2>&1 | head -1 | grep -o '"[0-9]*' | tr -d '"')
JO=""; [ "$V" -ge 24 ] && JO="--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED"
LG="$J $JO -cp broker.jar:lgx.jar dev.claudemesh.broker.bench.loadgen.LoadGen"
id; useradd -m pgrun 2>/dev/null; 
$LG relay-server --port 17901 > $OUT/relay.log 2>&1 & RP=$!
sleep 2
$LG --url ws://127.0.0.1:17901/ws --scenario relay --peers 100 --size 256 --duration 15s --warmup 5s --json $OUT/relay.json 2>&1 | grep -E "/s|lost"
kill $RP
rm -rf /tmp/bd; env BROKER_PORT=17900 BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=t SEND_RATE_LIMIT_PER_MIN=0 MAX_CONNECTIONS_PER_MESH=1000 BROKER_DATA_DIR=/tmp/bd \
  $J $JO -jar broker.jar > $OUT/broker.log 2>&1 & BP=$!
for i in $(seq 120); do curl -sf http://127.0.0.1:17900/health >/dev/null && break; sleep 0.5; done
curl -s http://127.0.0.1:17900/health; echo
A="--url ws://127.0.0.1:17900/ws --admin-url http://127.0.0.1:17900 --admin-token t --broker-pid $BP"
$LG $A --scenario dm --peers 100 --size 256 --duration 20s --warmup 5s --json $OUT/dm.json 2>&1 | grep -E "/s|ms p|CPU|lost"
$LG $A --scenario connect-storm --peers 2000 --meshes 20 --concurrency 256 --duration 10s --json $OUT/storm0.json 2>&1 | grep -E "hellos|ms p|CPU"
$LG $A --scenario connect-storm --peers 2000 --meshes 20 --concurrency 256 --duration 10s --json $OUT/storm.json 2>&1 | grep -E "hellos|ms p|CPU"
$LG $A --scenario broadcast --peers 100 --size 256 --window 4 --duration 10s --warmup 3s --json $OUT/bcast.json 2>&1 | grep -E "/s|lost"
if [ "$(ulimit -n)" -ge 45000 ]; then
  $LG $A --scenario idle --peers 20000 --meshes 200 --members-per-mesh 10 --concurrency 256 --duration 10s --json $OUT/idle.json 2>&1 | grep -E "heap|RSS|hellos|peers"
fi
kill $BP; wait $BP
tail -3 $OUT/broker.log
