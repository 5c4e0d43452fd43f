# threads.py PID -> prints "tid name utime stime" for each thread (clock ticks)
import os, sys
pid = sys.argv[1]
for t in os.listdir(f"/proc/{pid}/task"):
    try:
        s = open(f"/proc/{pid}/task/{t}/stat").read()
    except OSError:
        continue
    name = s[s.index("(")+1:s.rindex(")")]
    f = s[s.rindex(")")+2:].split()
    print(t, name.replace(" ", "_"), f[11], f[12])
