#!/usr/bin/env python3
"""Pins anonymous memory until the free pages of all zones fall to TARGET_PAGES above the sum of
the high watermarks (read from /proc/zoneinfo), then writes READY_FILE and sleeps until killed.
Under lazy deferred struct-page init the Normal zone grows while this runs (mm/mm_init.c
deferred_grow_zone). oom_score_adj 1000 makes this process the OOM killer's first choice."""
import os, sys, time

target_pages = int(sys.argv[1])
ready_file = sys.argv[2]
with open("/proc/self/oom_score_adj", "w") as f:
    f.write("1000")

def free_and_high():
    free = high = 0
    for line in open("/proc/zoneinfo"):
        p = line.split()
        if len(p) == 3 and p[0] == "pages" and p[1] == "free":
            free += int(p[2])
        elif len(p) == 2 and p[0] == "high":
            high += int(p[1])
    return free, high

chunks = []
step = 64 << 20
while True:
    free, high = free_and_high()
    left = free - high - target_pages
    if left <= 0:
        break
    n = min(step, max(left * 4096, 1 << 20))
    b = bytearray(n)
    b[::4096] = b"\x01" * len(range(0, n, 4096))  # touch every page: really allocated
    chunks.append(b)
free, high = free_and_high()
print(f"pinned {sum(len(c) for c in chunks) >> 20} MiB; free {free} pages, Σ high {high}", file=sys.stderr)
open(ready_file, "w").close()
while True:
    time.sleep(3600)
