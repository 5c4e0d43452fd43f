#!/usr/bin/env bash
# Self time by thread, library and symbol of a perf.sh recording: summarize.sh DIR NAME > NAME.summary.txt
# (needs the broker's /tmp/perf-<pid>.map, which perf.sh copies into DIR: copy it back to /tmp first)
cd "$1" || exit 1
echo "# perf record -F 497 -g -p <broker> -- sleep 12, 23 s into a steady dm run (perf.sh); $2"
echo "## by thread"; perf report -i "$2.data" --no-children --sort comm --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -12
echo "## by library"; perf report -i "$2.data" --no-children --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -8
echo "## top 50 self symbols"
perf report -i "$2.data" --no-children --sort sym --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -50 | cut -c1-200
