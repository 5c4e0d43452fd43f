# Medians per version and scenario of the issue-10 before/after runs: python3 summary.py [DIR]
import json, glob, statistics, sys, os
base = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
rows = {}
for f in sorted(glob.glob(os.path.join(base, '*-[0-9]', '*.json'))):
    v, r = os.path.basename(os.path.dirname(f)).split('-')
    kind = os.path.basename(f)[:-5].rsplit('-', 1)[0]
    d = json.load(open(f))
    n = d.get('acked') or 1
    cpu = lambda k: (d.get(k) if d.get(k) is not None else float('nan')) * 1e6 / n
    rows.setdefault((v, kind), []).append(dict(rate=d['ackedPerSec'], fps=d['framesPerSec'], broker=cpu('brokerCpuS'),
                                                db=cpu('dbCpuS'), lg=cpu('loadgenCpuS'), bad=(d.get('errors') or 0)
                                                + (d.get('lost') or 0) + (d.get('duplicates') or 0)))
med = lambda l, k: statistics.median(x[k] for x in l)
for k in sorted(rows):
    l = rows[k]
    print(f"{k[0]:6} {k[1]:7} runs {[round(x['rate']) for x in l]} median {med(l, 'rate'):.0f}/s frames/s {med(l, 'fps'):.0f} "
          f"CPU us/msg broker {med(l, 'broker'):.1f} db {med(l, 'db'):.1f} loadgen {med(l, 'lg'):.1f} errors+lost+dup {sum(x['bad'] for x in l)}")
for v in ('before', 'after'):
    print(f"{v}: dm frames / relay frames = {med(rows[(v, 'dm-max')], 'fps') / med(rows[(v, 'relay')], 'fps'):.3f}")
