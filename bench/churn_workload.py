"""Slab-churn workload for bench/make_churn_trace.sh: small kernel objects created and freed
in a tight loop (files in tmpfs: dentry, inode, filp, LSM blobs; pipes; socket pairs; a fork
every 5000 rounds: task_struct, mm, vmas), so a kmem trace is dominated by slab alloc/free.
Usage: python3 churn_workload.py ROUNDS [DIR]"""
import os
import socket
import sys

rounds = int(sys.argv[1])
d = sys.argv[2] if len(sys.argv) > 2 else "/dev/shm/kmemreplay-churn"
os.makedirs(d, exist_ok=True)
for i in range(rounds):
    p = f"{d}/f{i % 97}"
    fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)
    os.write(fd, b"x")
    os.close(fd)
    os.unlink(p)
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    a, b = socket.socketpair()
    a.close()
    b.close()
    if i % 5000 == 0:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
os.rmdir(d)
