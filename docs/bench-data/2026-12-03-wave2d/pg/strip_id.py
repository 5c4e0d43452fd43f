#!/usr/bin/env python3
"""Copies the audit files of gen.py without their first column (id): the shape of the writer's COPY today, whose
audit ids come from the bigserial's nextval. Usage: strip_id.py DIR (writes DIR/n*.bin next to DIR/a*.bin)"""
import glob, os, struct, sys

for path in sorted(glob.glob(os.path.join(sys.argv[1], "a*.bin"))):
    src = open(path, "rb").read()
    out, pos = [src[:19]], 19
    while True:
        (n,) = struct.unpack_from(">h", src, pos)
        if n == -1:
            out.append(src[pos:pos + 2]); break
        pos += 2
        fields = []
        for _ in range(n):
            (ln,) = struct.unpack_from(">i", src, pos)
            end = pos + 4 + max(ln, 0)
            fields.append(src[pos:end]); pos = end
        out.append(struct.pack(">h", n - 1) + b"".join(fields[1:]))
    with open(os.path.join(sys.argv[1], "n" + os.path.basename(path)[1:]), "wb") as f:
        f.write(b"".join(out))
