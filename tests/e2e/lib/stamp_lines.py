#!/usr/bin/env python3
"""Stamp each line a program writes to a file with the time it arrived.

    stamp_lines.py PATHFILE OUT

Opens a pseudo-terminal, writes the name of its slave side (/dev/pts/N)
to PATHFILE, and appends "<unix-us> <line>" to OUT for every line written
there, until SIGTERM (then it drains what is left and exits 0).

Why a terminal: `swarm run --results FILE` writes through stdio, which
buffers a regular file or a pipe in 4 KiB blocks but flushes a terminal
at every newline, so each result line reaches us when the master has the
result, and its arrival time is the master's receipt time (the result
latency measured by tests/e2e/nats_netns.sh and bench/nats_netns.sh)."""
import os
import select
import signal
import sys
import time
import tty

stop = False


def on_term(signo, frame):
    global stop
    stop = True


def main():
    if len(sys.argv) != 3:
        print("usage: stamp_lines.py PATHFILE OUT", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, on_term)
    master, slave = os.openpty()
    tty.setraw(slave)                      # no echo, no \n -> \r\n
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(os.ttyname(slave) + "\n")
    os.rename(tmp, sys.argv[1])
    buf = b""
    with open(sys.argv[2], "a") as out:
        while True:
            r, _, _ = select.select([master], [], [], 0.05)
            if not r:
                if stop:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            now = time.time_ns() // 1000
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                out.write("%d %s\n" % (now, line.decode("utf-8", "replace")))
            out.flush()
    os.close(slave)
    os.close(master)
    return 0


if __name__ == "__main__":
    sys.exit(main())
