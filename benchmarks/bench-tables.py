#!/usr/bin/env python3
"""Markdown tables of one bench.sh session: one table per step, a column per run and the median.

    python3 benchmarks/bench-tables.py OUT_DIR        (OUT_DIR as given to benchmarks/bench.sh)
"""
import glob
import json
import os
import statistics
import sys

STEPS = [
    ("relay", "relay (closed loop, window 16)"),
    ("dm-max", "dm max (closed loop, window 16)"),
    ("dm-half", "dm at half the max rate (open loop)"),
    ("dm-batch512", "dm max with BROKER_WRITER_BATCH_SIZE=512 (the old default)"),
    ("broadcast", "broadcast (closed loop, window 4)"),
    ("storm", "connect-storm (2000 peers in 20 meshes, 256 at a time)"),
    ("idle", "idle (19 000 peers, 190 meshes)"),
]


def lat(key, q):
    return lambda d: (d.get(key) or {}).get(q)


ROWS = {
    "relay": [("relayed msg/s", lambda d: d.get("pushedPerSec")), ("frames/s", lambda d: d.get("framesPerSec")),
              ("send→push p50 ms", lat("pushLatencyMs", "p50")), ("send→push p99 ms", lat("pushLatencyMs", "p99")),
              ("relay CPU, % of one core", lambda d: d.get("brokerCpuPct")),
              ("relay CPU µs per relayed message", lambda d: d.get("brokerCpuUsPerMsg")),
              ("generator CPU s", lambda d: d.get("loadgenCpuS")), ("errors", lambda d: d.get("errors")),
              ("lost", lambda d: d.get("lost"))],
    "dm": [("target msg/s", lambda d: d.get("targetRate")), ("acked DMs/s", lambda d: d.get("ackedPerSec")),
           ("frames/s", lambda d: d.get("framesPerSec")),
           ("send→push p50 ms", lat("pushLatencyMs", "p50")), ("send→push p99 ms", lat("pushLatencyMs", "p99")),
           ("send→push p99.9 ms", lat("pushLatencyMs", "p999")), ("send→push max ms", lat("pushLatencyMs", "max")),
           ("send→ack p50 ms", lat("ackLatencyMs", "p50")), ("send→ack p99 ms", lat("ackLatencyMs", "p99")),
           ("broker CPU, % of one core", lambda d: d.get("brokerCpuPct")),
           ("PostgreSQL CPU s (whole window)", lambda d: d.get("dbCpuS")),
           ("broker CPU µs per DM", lambda d: d.get("brokerCpuUsPerMsg")),
           ("PostgreSQL CPU µs per DM", lambda d: d.get("dbCpuUsPerMsg")),
           ("generator CPU s", lambda d: d.get("loadgenCpuS")), ("broker RSS MB", lambda d: d.get("brokerRssMb")),
           ("errors", lambda d: d.get("errors")), ("unacked", lambda d: d.get("unacked")),
           ("lost", lambda d: d.get("lost")), ("duplicates", lambda d: d.get("duplicates")),
           ("redeliveries", lambda d: d.get("redeliveries"))],
    "broadcast": [("pushes/s", lambda d: d.get("pushedPerSec")), ("sends acked/s", lambda d: d.get("ackedPerSec")),
                  ("send→push p50 ms", lat("pushLatencyMs", "p50")), ("send→push p99 ms", lat("pushLatencyMs", "p99")),
                  ("broker CPU, % of one core", lambda d: d.get("brokerCpuPct")),
                  ("generator CPU s", lambda d: d.get("loadgenCpuS")), ("errors", lambda d: d.get("errors")),
                  ("lost", lambda d: d.get("lost"))],
    "storm": [("verified hellos/s", lambda d: d.get("hellosPerSec")), ("hellos ok", lambda d: d.get("hellosOk")),
              ("hello failures", lambda d: d.get("helloFailures")),
              ("hello p50 ms", lat("helloLatencyMs", "p50")), ("hello p99 ms", lat("helloLatencyMs", "p99")),
              ("broker CPU s", lambda d: d.get("brokerCpuS")), ("generator CPU s", lambda d: d.get("loadgenCpuS"))],
    "idle": [("peers connected", lambda d: d.get("hellosOk")), ("heap per peer B", lambda d: d.get("heapPerPeerBytes")),
             ("RSS per peer B", lambda d: d.get("rssPerPeerBytes")), ("heap before MB", lambda d: d.get("heapBeforeMb")),
             ("heap after MB", lambda d: d.get("heapAfterMb")), ("GC forced", lambda d: d.get("gcForced")),
             ("broker RSS MB", lambda d: d.get("brokerRssMb")), ("errors", lambda d: d.get("errors"))],
}


def fmt(v):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def median(values):
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return statistics.median(nums) if len(nums) == len(values) and nums else None


def main(out):
    for prefix, title in STEPS:
        files = sorted(glob.glob(os.path.join(out, f"{prefix}-[0-9]*.json")))
        if not files:
            continue
        runs = [json.load(open(f)) for f in files]
        rows = ROWS["dm" if prefix.startswith("dm") else prefix]
        print(f"**{title}** ({len(runs)} runs)\n")
        print("| | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " | **median** |")
        print("|---" * (len(runs) + 2) + "|")
        for name, get in rows:
            values = [get(d) for d in runs]
            print(f"| {name} | " + " | ".join(fmt(v) for v in values) + f" | **{fmt(median(values))}** |")
        print()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
