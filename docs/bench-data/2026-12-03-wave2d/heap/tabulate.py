#!/usr/bin/env python3
"""Heap per DM by thread group from run.sh's ThreadAllocationStatistics (first and last sample per thread)."""
import glob, gzip, json, re, collections

for f in sorted(glob.glob("*-alloc.txt.gz")):
    name = f[:-len("-alloc.txt.gz")]
    txt = gzip.open(f, "rt").read()
    first, last = {}, {}
    for ev in txt.split("jdk.ThreadAllocationStatistics")[1:]:
        a = re.search(r"allocated = ([\d.]+) (\w+)", ev)
        t = re.search(r'thread = "([^"]+)"', ev)
        if not a or not t:
            continue
        v = float(a.group(1)) * {"bytes": 1, "byte": 1, "kB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}[a.group(2)]
        first.setdefault(t.group(1), v)  # the recording's start, then its end (10 s apart)
        last[t.group(1)] = v
    groups = collections.Counter()
    for t, v in last.items():
        g = re.sub(r"\d+", "N", t)
        g = "loops" if g.startswith("broker-loop") else "writer" if g.startswith("broker-db-writer") else "other"
        groups[g] += v - first[t]
    acked = json.load(open(name + ".json"))["ackedPerSec"] * 10
    print(f"{name:10s} acked/s={acked / 10:8.0f}  " + "  ".join(
        f"{g}={groups[g] / acked:6.0f} B/DM" for g in ("loops", "writer", "other")))
