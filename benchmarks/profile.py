"""Where the CPU of each pipeline service goes, under full load: a sampling profile of the live processes.

    .venv/bin/python benchmarks/profile.py [--seconds 20] [--clients 1] [--top 25]

Starts the platform on RabbitMQ as benchmarks/throughput.py does (one `trustone run <service>` process per
service, in-process documents each), sends reports at full speed, and samples each of submission, scoring,
notification and reporting with py-spy (nothing in the services changes; it reads their stacks from
outside). Prints, per service, the functions by their own share of the busy samples and by their share
including what they call; waiting in the event loop is left out. py-spy needs to be allowed to read
other processes (root, or ptrace permitted); its sampling takes some CPU of its own, so the reports/s it
prints are lower than benchmarks/throughput.py's.
"""
from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import throughput  # beside this file
from throughput import PIPELINE, ROOT, Running, Vhost

PY_SPY = str(ROOT / ".venv" / "bin" / "py-spy")
IDLE = ("epoll", "poll (", "select (", "sleep")  # a leaf in one of these: the process was waiting


def summary(samples: Path, top: int) -> str:
    """py-spy's collapsed stacks as two rankings: own time and inclusive time, in % of busy samples."""
    own, inclusive, busy = collections.Counter(), collections.Counter(), 0
    for line in samples.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not frames[-1].strip() or any(word in frames[-1] for word in IDLE):  # no Python running, or waiting
            continue
        busy += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    if not busy:
        return "  no busy samples\n"
    lines = [f"  {busy:,} busy samples", "  own:"]
    lines += [f"  {100 * count / busy:5.1f}%  {frame}" for frame, count in own.most_common(top)]
    lines += ["  including what it calls:"]
    lines += [f"  {100 * count / busy:5.1f}%  {frame}" for frame, count in inclusive.most_common(top)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix=f"trustone-profile-{uuid.uuid4().hex[:6]}-"))
    vhost = Vhost()
    try:
        platform = Running("profile", vhost.uri, out)
        try:
            tokens = throughput.companies(platform, args.companies)
            throughput.full_speed(platform, tokens, args.clients, 5, vhost)  # warm, with some data stored
            spies = {name: subprocess.Popen(
                [PY_SPY, "record", "--nonblocking", "--rate", "200", "--duration", str(args.seconds),
                 "--format", "raw", "--output", str(out / f"{name}.txt"), "--pid", str(platform.processes[name].pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for name in PIPELINE}
            found = throughput.full_speed(platform, tokens, args.clients, args.seconds, vhost)
            for name, spy in spies.items():
                _, complaint = spy.communicate()
                if spy.returncode != 0:  # e.g. not allowed to read another process (ptrace)
                    sys.exit(f"py-spy could not sample {name}: {complaint.decode(errors='replace')[-500:]}")
        finally:
            platform.stop()
    finally:
        vhost.remove()
    print(f"{found['reports']:,} reports at {found['counted_per_s']:.1f}/s counted; CPU ms per report: "
          + ", ".join(f"{name} {found['cpu_ms'][name]:.1f}" for name in PIPELINE))
    for name in PIPELINE:
        print(f"\n{name} ({found['cpu_ms'][name]:.1f} ms per report)")
        print(summary(out / f"{name}.txt", args.top), end="")
    print(f"\nraw samples (py-spy's collapsed stacks) in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
