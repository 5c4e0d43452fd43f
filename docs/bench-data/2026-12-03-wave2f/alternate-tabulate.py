#!/usr/bin/env python3
"""Medians over the rounds of alternate.sh: one row per configuration and scenario (run from this folder)."""
import glob, json, statistics

FIELDS = [("ackedPerSec", "acked/s"), ("pushedPerSec", "pushed/s"), ("framesPerSec", "frames/s"),
          ("pushLatencyMs.p50", "push p50 ms"), ("pushLatencyMs.p99", "push p99 ms"),
          ("ackLatencyMs.p99", "ack p99 ms"), ("brokerCpuUsPerMsg", "broker µs/msg"),
          ("dbCpuUsPerMsg", "db µs/msg"), ("loadgenCpuUsPerMsg", "gen µs/msg"), ("brokerCpuPct", "broker %"),
          ("hellosPerSec", "hellos/s"), ("lost", "lost"), ("duplicates", "dup"), ("errors", "errors")]

def get(d, path):
    for k in path.split("."):
        d = d.get(k) if isinstance(d, dict) else None
    return d

for scenario in ["relay-1", "dm-max-1", "dm-half-1", "broadcast-1", "storm-1"]:
    for config in ["before", "after", "binary"]:
        files = sorted(glob.glob(f"{config}-r*/{scenario}.json"))
        if not files:
            continue
        runs = [json.load(open(f)) for f in files]
        cells = []
        for key, label in FIELDS:
            vals = [get(r, key) for r in runs]
            vals = [v for v in vals if isinstance(v, (int, float))]
            if not vals:
                continue
            cells.append(f"{label}={round(statistics.median(vals), 2)} {[round(v, 1) for v in vals]}")
        print(f"{scenario:12s} {config:7s} n={len(runs)}  " + "  ".join(cells))
