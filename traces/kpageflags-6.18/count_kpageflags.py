#!/usr/bin/env python3
"""Counts a raw /proc/kpageflags slice (.raw.gz) independently of lib/snapshot/: pages per kind,
pages per KPF bit, runs, distinct words, and free buddy blocks per order in a pfn range.

  python3 count_kpageflags.py FILE.raw.gz FIRST_PFN FROM_PFN TO_PFN

Free blocks are found top-down, not by cutting runs: an aligned block of order o is a free block
when all its pages have KPF_BUDDY, it lies inside [FROM_PFN, TO_PFN), and o == 10 or the aligned
block of order o+1 around it is not wholly free and inside the range."""
import array, gzip, sys

path, first, lo, hi = sys.argv[1], *map(int, sys.argv[2:5])
a = array.array("Q")
a.frombytes(gzip.open(path).read())
assert sys.byteorder == "little"
lo, hi = max(lo, first), min(hi, first + len(a))
w = a[lo - first:hi - first]
B = lambda v, b: (v >> b) & 1

def kind(v):
    # precedence as documented in lib/snapshot/kpageflags_summary.ts
    if B(v, 20): return "hole"
    if B(v, 10): return "buddy"
    if B(v, 23): return "offline"
    if B(v, 7): return "slab"
    if B(v, 26): return "pgtable"
    if B(v, 17): return "hugetlb"
    if B(v, 24): return "zero"
    if B(v, 32): return "reserved"
    if B(v, 5): return "lru_anon" if B(v, 14) else "lru_file"
    if v == 0: return "noflags"
    return "other"

kinds, bits = {}, {}
for v in w:
    k = kind(v)
    kinds[k] = kinds.get(k, 0) + 1
for b in (5, 7, 10, 12, 14, 15, 16, 22, 24, 26, 32):
    bits[b] = sum(B(v, b) for v in w)
runs = 1 + sum(1 for i in range(1, len(a)) if a[i] != a[i - 1])

# prefix sum of buddy pages over the range
pre = [0]
for v in w: pre.append(pre[-1] + B(v, 10))
def free(p, o):  # aligned block [p, p + 2^o) wholly free and inside the range
    s, e = p, p + (1 << o)
    return s >= lo and e <= hi and pre[e - lo] - pre[s - lo] == (1 << o)
per = [0] * 11
for o in range(11):
    p = lo - lo % (1 << o)
    while p < hi:
        if free(p, o) and (o == 10 or not free(p - p % (1 << (o + 1)), o + 1)):
            per[o] += 1
        p += 1 << o
print("pfns", len(a), "runs", runs, "words", len(set(a)))
print("kinds", dict(sorted(kinds.items())))
print("bits", bits)
print("free blocks per order", per, "pages", sum(n << o for o, n in enumerate(per)))
