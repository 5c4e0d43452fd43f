# tdiff.py BEFORE AFTER HELLOS: CPU per thread group (ms, user/sys) and per hello (us)
import re, sys, collections
def load(p):
    d = {}
    for line in open(p):
        t, n, u, s = line.split(); d[t] = (n, int(u), int(s))
    return d
a, b, n = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
g = collections.defaultdict(lambda: [0, 0])
for t, (name, u, s) in b.items():
    u0, s0 = (a[t][1], a[t][2]) if t in a else (0, 0)
    key = re.sub(r"\d+", "N", name)
    g[key][0] += u - u0; g[key][1] += s - s0
tot = sum(x + y for x, y in g.values())
for k, (u, s) in sorted(g.items(), key=lambda kv: -sum(kv[1])):
    if u + s:
        print(f"{k:28s} user {u*10:6d} ms sys {s*10:6d} ms  = {(u+s)*10000/n:7.1f} us/hello")
print(f"{'total':28s} {tot*10} ms = {tot*10000/n:.1f} us/hello")
