import json,sys,glob,statistics as st,re,collections
d=sys.argv[1]
groups=collections.defaultdict(list)
for f in sorted(glob.glob(d+'/*.json')):
    j=json.load(open(f)); name=re.sub(r'-r\d+\.json$','',f.split('/')[-1]); n=j['acked']
    if j.get('brokerCpuUsPerMsg') is None:  # the bare relay: frames/s only
        print(f.split('/')[-1], 'relay framesPerSec %.0f' % j['framesPerSec']); continue
    th={k:v/n*1e6 for k,v in j['brokerCpuByThreadS'].items()}
    groups[name].append((j['ackedPerSec'],j['brokerCpuUsPerMsg'],j['dbCpuUsPerMsg'],j['loadgenCpuUsPerMsg'],th.get('broker-loop-N-N',0),th.get('broker-db-write',0),th.get('CN CompilerThre',0)+th.get('C2 CompilerThre',0),th.get('GC Thread#N',0),j['lost'],j['duplicates']))
    print(f.split('/')[-1], ' '.join('%.1f'%x for x in groups[name][-1]))
print('median: acked/s broker db loadgen loops writer jit gc lost dups')
for k,v in groups.items():
    print(k, ' '.join('%.1f'%st.median(x[i] for x in v) for i in range(10)))
