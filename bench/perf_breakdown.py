#!/usr/bin/python3.11
"""Where a grade batch spends its time, by process role and by cost.

    bench/perf_breakdown.py [--grade BIN] [--rubric FILE] SUB...        (records)
    bench/perf_breakdown.py --data perf.data                              (reads)

Runs `perf record -g` (software cpu-clock, works without hardware counters)
over one `grade -f json SUB...` process tree, rebuilds the tree from the
FORK/EXIT events (controller -> zygote -> supervisor per exercise -> one
child per check) and prints:

  * a timeline: how long a check child lives (fork to exit), the gap
    between two checks of one supervisor (exit of one child to the fork of
    the next: reaping, result, verdict, round trip, pipes, the fork call),
    and the supervisor's start and end;
  * CPU per check, by role and by category (fork, page faults split into
    copy-on-write / file mapping / fresh anonymous, exit/unmap, Python,
    jansson, libc, ...).

Numbers are per check child (CPU ms) unless said otherwise.
"""
import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

FORK_RE = re.compile(r"PERF_RECORD_FORK\((\d+):(\d+)\):\((\d+):(\d+)\)")
EXIT_RE = re.compile(r"PERF_RECORD_EXIT\((\d+):(\d+)\):\((\d+):(\d+)\)")
EXEC_RE = re.compile(r"PERF_RECORD_COMM exec: \S+:(\d+)/")
HEAD_RE = re.compile(r"^\S+\s+(\d+)/(\d+)\s+([\d.]+):\s*(\d+)?\s*(\S+)?:?\s*$")

KERNEL_CATS = [
    # (category, frames any of which puts the sample there), first match wins
    ("fork: copy_process (page tables, vmas)", {"copy_process", "dup_mmap", "copy_page_range", "kernel_clone"}),
    ("exit: exit_mmap / unmap", {"exit_mmap", "mmput", "do_exit", "do_group_exit", "unmap_vmas", "free_pgtables"}),
    ("execve + ld.so mapping", {"bprm_execve", "do_execveat_common", "load_elf_binary"}),
    ("page fault: copy-on-write", {"do_wp_page", "wp_page_copy"}),
    ("page fault: file mapping", {"filemap_map_pages", "do_read_fault", "filemap_fault", "do_fault"}),
    ("page fault: other (anon zero, pte)", {"asm_exc_page_fault"}),
    ("pipe/poll/socket syscalls", {"do_pipe2", "__x64_sys_pipe2", "do_sys_poll", "__x64_sys_poll", "unix_stream_sendmsg",
                                   "unix_stream_recvmsg", "pipe_read", "pipe_write", "__x64_sys_pidfd_open"}),
    ("wait4/kill/signals", {"__do_sys_wait4", "kernel_wait4", "do_wait", "kill_pgrp", "__x64_sys_kill", "get_signal"}),
    ("close/dup/fcntl/open", {"__x64_sys_close", "__x64_sys_dup2", "__x64_sys_dup3", "do_sys_openat2", "__x64_sys_fcntl",
                              "__x64_sys_close_range", "__x64_sys_close_range"}),
    ("other syscalls", {"do_syscall_64"}),
    ("interrupts/scheduler", {"asm_sysvec_apic_timer_interrupt", "schedule", "finish_task_switch.isra.0",
                              "asm_sysvec_call_function", "ret_from_fork_asm", "ret_from_fork"}),
]


def categorize(frames):
    """frames: [(sym, dso)] leaf first."""
    syms = {s for s, _ in frames}
    leaf_dso = frames[0][1] if frames else "?"
    if "[kernel.kallsyms]" in leaf_dso:
        for cat, keys in KERNEL_CATS:
            if syms & keys:
                return cat
        return "kernel: other"
    base = os.path.basename(leaf_dso)
    if base.startswith("libpython"):
        return "user: libpython (interpreter)"
    if base.startswith("libjansson"):
        return "user: jansson (JSON)"
    if base.startswith("ld-linux"):
        return "user: ld.so (dynamic linking)"
    if base.startswith("libc.so"):
        if frames[0][0] in ("malloc", "_int_malloc", "free", "_int_free", "cfree", "malloc_consolidate",
                            "realloc", "_int_realloc", "calloc", "unlink_chunk.isra.0"):
            return "user: libc malloc/free"
        return "user: libc other"
    if base == "grade":
        return "user: grade itself"
    if base.startswith("libyaml"):
        return "user: libyaml"
    return "user: other (" + base + ")"


def parse(data):
    out = subprocess.run(["perf", "script", "-i", data, "--show-task-events", "-F", "comm,pid,tid,time,period,ip,sym,dso"],
                         capture_output=True, text=True, check=True).stdout
    parent, forks, exits, execs = {}, {}, {}, set()
    samples = []   # (pid, time, period, frames)
    cur = None
    first_pid = None
    for line in out.splitlines():
        if not line.strip():
            if cur:
                samples.append(cur)
                cur = None
            continue
        if line.startswith("\t") or line.startswith(" "):
            if cur is not None:
                parts = line.strip().split(None, 1)
                rest = parts[1] if len(parts) > 1 else ""
                m = re.match(r"(.*) \((.*)\)$", rest)
                sym, dso = (m.group(1), m.group(2)) if m else (rest, "?")
                sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
                cur[3].append((sym, dso))
            continue
        if cur:
            samples.append(cur)
            cur = None
        m = FORK_RE.search(line)
        if m:
            child, par = int(m.group(1)), int(m.group(3))
            t = float(line.split()[2].rstrip(":"))
            if child != par:
                parent[child] = par
                forks[child] = t
            continue
        m = EXIT_RE.search(line)
        if m:
            pid = int(m.group(1))
            exits[pid] = float(line.split()[2].rstrip(":"))
            continue
        m = EXEC_RE.search(line)
        if m:
            execs.add(int(m.group(1)))
            if first_pid is None:
                first_pid = int(m.group(1))
            continue
        if "PERF_RECORD" in line:
            continue
        f = line.split()
        try:
            pid = int(f[1].split("/")[0])
            t = float(f[2].rstrip(":"))
            period = int(f[3]) if len(f) > 3 and f[3].isdigit() else 0
        except (IndexError, ValueError):
            continue
        cur = (pid, t, period, [])
    if cur:
        samples.append(cur)
    return first_pid, parent, forks, exits, execs, samples


def roles(root, parent):
    role = {root: "controller"}
    changed = True
    while changed:
        changed = False
        for c, p in parent.items():
            if c in role or p not in role:
                continue
            role[c] = {"controller": "zygote", "zygote": "supervisor", "supervisor": "check child"}.get(role[p], "other")
            changed = True
    return role


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grade", default=os.path.join(ROOT, "build/grader/grade"))
    ap.add_argument("--rubric", default=os.path.join(ROOT, "rubrics/refcount.yaml"))
    ap.add_argument("--data", help="read this perf.data instead of recording")
    ap.add_argument("--freq", type=int, default=20000)
    ap.add_argument("subs", nargs="*")
    a = ap.parse_args()
    tmp = None
    data = a.data
    if not data:
        if not a.subs:
            ap.error("give submission directories (or --data)")
        tmp = tempfile.mkdtemp(prefix="grade-perf-")
        data = os.path.join(tmp, "perf.data")
        subprocess.run(["perf", "record", "-q", "-o", data, "-F", str(a.freq), "-g", "--",
                        a.grade, "-j", "1", "-f", "json", "-r", a.rubric, *a.subs],
                       stdout=subprocess.DEVNULL, check=True)
    root, parent, forks, exits, execs, samples = parse(data)
    role = roles(root, parent)
    checks = sorted((p for p, r in role.items() if r == "check child"), key=lambda p: forks[p])
    sups = sorted((p for p, r in role.items() if r == "supervisor"), key=lambda p: forks[p])
    n = len(checks)
    if not n:
        sys.exit("no check children found in the recording")
    print(f"{len(sups)} supervisors (one per submission), {n} check children")

    # ---- timeline
    life = [(exits[c] - forks[c]) * 1e3 for c in checks if c in exits]
    gaps = []
    by_sup = collections.defaultdict(list)
    for c in checks:
        by_sup[parent[c]].append(c)
    sup_head, sup_tail, between = [], [], []
    for s in sups:
        cs = by_sup.get(s, [])
        for x, y in zip(cs, cs[1:]):
            if x in exits:
                gaps.append((forks[y] - exits[x]) * 1e3)
        if cs:
            sup_head.append((forks[cs[0]] - forks[s]) * 1e3)
            if cs[-1] in exits and s in exits:
                sup_tail.append((exits[s] - exits[cs[-1]]) * 1e3)
    for x, y in zip(sups, sups[1:]):
        if x in exits:
            between.append((forks[y] - exits[x]) * 1e3)
    zyg = [p for p, r in role.items() if r == "zygote"]
    print("\ntimeline (wall ms; median [min])")

    def row(name, xs):
        if xs:
            print(f"  {name:58s} {statistics.median(xs):7.3f}  [{min(xs):.3f}]  n={len(xs)}")
    if zyg and sups:
        row("zygote start: controller fork -> first supervisor fork", [(forks[sups[0]] - forks[zyg[0]]) * 1e3])
    row("check child lifetime: fork -> exit", life)
    row("between checks: child exit -> next child fork", gaps)
    row("supervisor head: supervisor fork -> 1st check fork", sup_head)
    row("supervisor tail: last check exit -> supervisor exit", sup_tail)
    row("between exercises: supervisor exit -> next supervisor fork", between)

    # ---- CPU by role x category
    period_total = collections.Counter()
    cats = collections.defaultdict(collections.Counter)
    for pid, t, period, frames in samples:
        r = role.get(pid, "other")
        p = period or 1
        cats[r][categorize(frames)] += p
        period_total[r] += p
    # cpu-clock period is in ns
    print(f"\nCPU per check child, by role and category (ms; whole run / {n} checks)")
    for r in ("controller", "zygote", "supervisor", "check child", "other"):
        if not period_total[r]:
            continue
        print(f"  {r:20s} {period_total[r] / 1e6 / n:7.3f} ms/check   (total {period_total[r] / 1e6:8.1f} ms)")
        for cat, v in cats[r].most_common():
            if v / period_total[r] < 0.02:
                continue
            print(f"      {cat:54s} {v / 1e6 / n:7.3f}  {100 * v / period_total[r]:5.1f}%")
    total = sum(period_total.values())
    print(f"  {'all':20s} {total / 1e6 / n:7.3f} ms/check   (total {total / 1e6:8.1f} ms)")
    if tmp:
        print(f"\n(perf data kept in {data})")


if __name__ == "__main__":
    main()
