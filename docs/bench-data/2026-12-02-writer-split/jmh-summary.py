import json,sys,glob,statistics
rows={}
for f in sorted(glob.glob(sys.argv[1]+'/*-*.json')):
    v=f.split('/')[-1].split('-')[0]
    for b in json.load(open(f)):
        name=b['benchmark'].split('.')[-1]
        s=b['primaryMetric']['score']
        sm=b['secondaryMetrics']
        alloc=next((sm[k]['score'] for k in sm if 'alloc.rate.norm' in k), float('nan'))
        rows.setdefault((name,v),[]).append((s,alloc))
        print(f"{f.split('/')[-1]:16} {name:12} {s:9.1f} ns/op  {alloc:7.0f} B/op")
for (name,v),l in sorted(rows.items()):
    print(f"median {name:12} {v:6}: {statistics.median(x[0] for x in l):9.1f} ns/op  {statistics.median(x[1] for x in l):7.0f} B/op  (runs {', '.join(f'{x[0]:.0f}' for x in l)})")
for name in sorted({k[0] for k in rows}):
    b=statistics.median(x[0] for x in rows[(name,'before')]); a=statistics.median(x[0] for x in rows[(name,'after')])
    print(f"ratio after/before {name}: {a/b:.3f}")
