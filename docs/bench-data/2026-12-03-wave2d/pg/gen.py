#!/usr/bin/env python3
"""Writes binary COPY files shaped like the broker writer's batches (BatchStatements): per batch one file of
message_queue rows, one of audit_log rows, one of message_delivery rows. Usage: gen.py OUTDIR ROWS BATCH"""
import os, random, struct, sys

out, rows, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
rnd = random.Random(15)
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B64 = ALNUM + "+/"
PG_EPOCH_MS = 946684800000
T0 = 1796256000000  # 2026-12-03

def b36(ms):
    s = ""
    for _ in range(8):
        s = "0123456789abcdefghijklmnopqrstuvwxyz"[ms % 36] + s; ms //= 36
    return s

def rid(ms): return b36(ms) + "".join(rnd.choice(ALNUM) for _ in range(24))
def hexkey(): return "%064x" % rnd.getrandbits(256)
def b64(n): return "".join(rnd.choice(B64) for _ in range(n))

MESH = "".join(rnd.choice(ALNUM) for _ in range(32))
PEERS = [(rid(T0 - 10**7), hexkey(), hexkey(), "peer-%d" % i) for i in range(100)]
HDR = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)

def f_text(s): return b"\xff\xff\xff\xff" if s is None else struct.pack(">i", len(s)) + s.encode()
def f_ts(ms): return b"\xff\xff\xff\xff" if ms is None else struct.pack(">iq", 8, (ms - PG_EPOCH_MS) * 1000)
def f_bytea_hex(h): return struct.pack(">i", len(h) // 2) + bytes.fromhex(h)
def f_int8(v): return struct.pack(">iq", 8, v)

variant_bytea = os.environ.get("BYTEA") == "1"
audit_id = [0]
prev = "0" * 64
ms = T0
for b in range(rows // batch):
    q, a, d = [HDR], [HDR], [HDR]
    for i in range(batch):
        ms += rnd.choice((0, 0, 1))
        sender = rnd.choice(PEERS); target = rnd.choice(PEERS)
        mid = rid(ms)
        delivered = rnd.random() < 0.37
        key = f_bytea_hex if variant_bytea else f_text
        q.append(struct.pack(">h", 16) + f_text(mid) + f_text(MESH) + f_text(sender[0]) + key(sender[1])
                 + key(sender[2]) + f_text(sender[3]) + key(target[1]) + f_text("next")
                 + f_text("" if delivered else b64(32)) + f_text("" if delivered else b64(344))
                 + f_text(rid(ms)[:20]) + f_text(None) + f_text(None) + f_ts(ms) + f_ts(ms + 7 * 86400000)
                 + f_ts(ms + 3 if delivered else None))
        payload = '{"priority":"next","targetSpec":"%s"}' % target[1]
        h = hexkey()
        audit_id[0] += 1
        a.append(struct.pack(">h", 8) + f_int8(audit_id[0]) + f_text(MESH) + f_text("message_sent")
                 + f_text(sender[0]) + f_text(payload) + f_ts(ms) + f_text(prev) + f_text(h))
        prev = h
        if not delivered:
            d.append(struct.pack(">h", 3) + f_text(mid) + f_text(MESH) + f_ts(ms + 5))
    for name, parts in (("q", q), ("a", a), ("d", d)):
        with open(os.path.join(out, "%s%05d.bin" % (name, b)), "wb") as f:
            f.write(b"".join(parts) + struct.pack(">h", -1))
