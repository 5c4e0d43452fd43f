#!/usr/bin/env python3
"""steady/: dm max per configuration, each run and the median; broker CPU per DM with and without the JIT threads."""
import glob, json, statistics
for cfg in ("fourth", "fifth"):
    rows = []
    for f in sorted(glob.glob(f"{cfg}-r*.json")):
        d = json.load(open(f))
        th = d.get("brokerCpuByThreadS") or {}
        n = d["acked"]
        jit = sum(v for k, v in th.items() if "Compiler" in k)
        loops = sum(v for k, v in th.items() if k.startswith("broker-loop"))
        writer = sum(v for k, v in th.items() if k.startswith("broker-db"))
        rows.append(dict(acked=d["ackedPerSec"], frames=d["framesPerSec"], broker=d["brokerCpuUsPerMsg"],
                         nojit=1e6 * (d["brokerCpuS"] - jit) / n, jit=1e6 * jit / n, loops=1e6 * loops / n,
                         writer=1e6 * writer / n, db=d["dbCpuUsPerMsg"], p99=d["pushLatencyMs"]["p99"],
                         lost=d["lost"], dup=d["duplicates"], errors=d["errors"]))
    if not rows:
        continue
    print(f"{cfg:7s} n={len(rows)}", "  ".join(
        f"{k}={round(statistics.median(r[k] for r in rows), 1)} {[round(r[k], 1) for r in rows]}" for k in rows[0]))
