import json,glob,statistics
rows={}
for f in sorted(glob.glob('/tmp/writer-dm/*-[0-9]/dm-max-*.json')):
    sess=f.split('/')[-2]; v,r=sess.split('-')
    d=json.load(open(f)); acked=d['acked']
    rows.setdefault(v,[]).append(dict(r=int(r),run=f[-6],dms=round(d['ackedPerSec']),broker=d['brokerCpuS']*1e6/acked,db=d['dbCpuS']*1e6/acked,lg=d['loadgenCpuS']*1e6/acked,p99=d['pushLatencyMs']['p99'],err=d['errors'],lost=d['lost'],dup=d['duplicates']))
for v in ['before','after']:
    l=rows[v]
    print(f"{v:6}: runs {[x['dms'] for x in l]}")
    print(f"        median {statistics.median(x['dms'] for x in l):.0f} DMs/s; CPU us per DM: broker {statistics.median(x['broker'] for x in l):.1f}, PostgreSQL {statistics.median(x['db'] for x in l):.1f}, loadgen {statistics.median(x['lg'] for x in l):.1f}; errors/lost/dup {sum(x['err'] for x in l)}/{sum(x['lost'] for x in l)}/{sum(x['dup'] for x in l)}")
for r in range(1,7):
    b=statistics.median(x['dms'] for x in rows['before'] if x['r']==r); a=statistics.median(x['dms'] for x in rows['after'] if x['r']==r)
    print(f"round {r}: before {b} after {a} ratio {a/b:.2f}")
bm=statistics.median(x['dms'] for x in rows['before']); am=statistics.median(x['dms'] for x in rows['after'])
print(f"ratio of medians {am/bm:.3f}")
