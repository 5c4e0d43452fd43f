#!/usr/bin/env bash
# Issue 15, third sitting (3 Dec 2026): per round one benchmarks/bench.sh session per configuration, back to back,
# with the same load generator (/work/bench/loadgen-third.jar, built at b1b1ad4: storm warm-ups, CPU by thread):
#   before = the broker at 30b4075 (main at the start of the sitting)
#   after  = the broker at the commit in /work/bench/third-commit (JSON peers)
#   binary = the same broker with claudemesh.bin.1 peers (dm and broadcast only; BINARY=0 skips it)
# The relay runs once per round, in the "before" session. Usage: ROUNDS=3 alternate.sh
set -u
cd /work/main
OUT=docs/bench-data/2026-12-03-wave2c
ROUNDS=${ROUNDS:-3}
COMMON=(env RUNS=1 DURATION=${DURATION:-15} WARMUP=${WARMUP:-6} DM_RATE=2000 LOADGEN_JAR=/work/bench/loadgen-third.jar)
for r in $(seq 1 "$ROUNDS"); do
  "${COMMON[@]}" JFR=0 SKIP="dmbatch idle jmh" BROKER_JAR=/work/bench/broker-30b4075.jar \
    benchmarks/bench.sh "$OUT/before-r$r"
  "${COMMON[@]}" JFR=$([[ $r == 1 ]] && echo 1 || echo 0) SKIP="relay dmbatch idle jmh" \
    BROKER_JAR=/work/bench/broker-third.jar benchmarks/bench.sh "$OUT/after-r$r"
  if [[ "${BINARY:-1}" == 1 ]]; then
    "${COMMON[@]}" JFR=0 PROTOCOL=binary SKIP="relay dmbatch storm idle jmh" BROKER_JAR=/work/bench/broker-third.jar \
      benchmarks/bench.sh "$OUT/binary-r$r"
  fi
  rm -rf "$OUT"/*-r"$r"/broker-data "$OUT"/*-r"$r"/*.jfr
  gzip -f "$OUT"/*-r"$r"/broker.log 2>/dev/null || true
done
