#!/usr/bin/env python3
# Regenerate the seed corpora: python3 tests/fuzz/make_seeds.py tests/fuzz/corpus
import struct, zlib, os, sys
root = sys.argv[1]
MAGIC = 0x4d525753
def frame(frm, typ, seq, payload, ts=1):
    name = frm.encode().ljust(64, b"\0")
    h = struct.pack("<IIIIQQ64s", MAGIC, len(payload), 0, typ, seq, ts, name)
    crc = zlib.crc32(h + payload) & 0xffffffff
    h = struct.pack("<IIIIQQ64s", MAGIC, len(payload), crc, typ, seq, ts, name)
    pad = (-len(payload)) % 8
    return h + payload + b"\0" * pad
def w(h, name, data):
    os.makedirs(os.path.join(root, h), exist_ok=True)
    with open(os.path.join(root, h, name), "wb") as f: f.write(data)
w("fuzz_frame", "valid", frame("a", 0, 1, b"hello"))
w("fuzz_frame", "empty-payload", frame("agent-7", 4, 2, b""))
w("fuzz_frame", "truncated", frame("a", 0, 1, b"hello world")[:100])
w("fuzz_frame", "bad-crc", frame("b", 1, 3, b"x" * 40)[:-8] + b"\1" * 8)
segs = frame("a", 0, 1, b"one") + frame("b", 1, 1, b"two" * 10) + frame("a", 0, 1, b"dup") + frame("a", 0, 2, b"three")
w("fuzz_inbox", "three-frames", b"\x80\0\0" + segs)
w("fuzz_inbox", "two-segments", b"\x81" + struct.pack("<H", len(frame("a",0,1,b"one"))) + segs)
w("fuzz_inbox", "garbage-between", b"\x80\0\0" + frame("a", 0, 1, b"one") + b"\xde\xad\xbe\xef" * 5 + frame("c", 2, 9, b"after"))
w("fuzz_inbox", "odd-garbage", b"\x80\0\0" + frame("a", 0, 1, b"one") + b"EVILEVILEVILE" + frame("b", 0, 1, b"unaligned") + frame("b", 0, 2, b"next"))
w("fuzz_inbox", "torn-tail", b"\x02\0\0" + frame("a", 0, 1, b"one") + frame("a", 0, 2, b"two")[:50])
w("fuzz_inbox", "oversize-len", b"\x00\0\0" + struct.pack("<IIII", MAGIC, 0xffffffff, 0, 0) + b"\0" * 80 + frame("a", 0, 1, b"ok"))
w("fuzz_json", "ascii", b'plain "quoted" \\ back\tslash\n')
w("fuzz_json", "utf8", "h\u00e9llo \u20ac \U0001f600".encode())
w("fuzz_json", "invalid", b"\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\x00\x7f\x1f")
w("fuzz_cli", "send", b"\x00--dir\0/dev/shm/x\0--from\0a\0--to\0b\0--type\0task\0--seq\0007\0hello")
w("fuzz_cli", "send-batch", b"\x02--to\0b\0--batch\0--wait\0002m")
w("fuzz_cli", "recv", b"\x01--dir\0d\0--as\0b\0--wait\0001.5\0--count\0003\0--json\0--peek")
w("fuzz_cli", "recv-env", b"\x07--wait\0001h")
w("fuzz_cli", "help-cluster", b"\x00-hh")
w("fuzz_cli", "split", b"\x80line one\nline two\n\nlast")
# task files (byte 0 0xff: a line around the 256 KiB limit)
w("fuzz_tasks", "lines", b"one\ntwo {}\r\n\n\nthree\r\r\nlast-no-newline")
w("fuzz_tasks", "crlf-blank", b"\r\n\r\n  spaced  \r\n\t\n")
w("fuzz_tasks", "nul", b"ok\nbad\0line\nafter\n")
w("fuzz_tasks", "long-line", b"\xff\x02head\ntail\n")
w("fuzz_tasks", "placeholders", b"{}{}\n{\n}\n{{}}\n")
# wire lines: byte 0 picks task/result/stats/hung/encode
w("fuzz_proto", "task", b"\x00" + b"42\nfetch http://x/{}\nmore")
w("fuzz_proto", "result", b"\x01" + b"7 1 0 1500 220 c1-w3 -\nc1-w3 t7 fnv=1234")
w("fuzz_proto", "result-failed", b"\x01" + b"8 2 -9 1 2 c2r1-w10 agent reported failure: boom\n")
w("fuzz_proto", "stats", b"\x02" + b"stats 10 1700000000000000000 123 64 2048 4096")
w("fuzz_proto", "hung", b"\x03" + b"hung 5 c3-w2")
w("fuzz_proto", "encode", b"\x04" + bytes(range(40)) + b"reason\rwith\nbreaks\0out")
# small parsers: byte 0 % 8 picks journal/type/u64/seconds/bytes/url/shape
w("fuzz_parsers", "journal", b"\x00c1-w10 4242\n")
w("fuzz_parsers", "journal-c2r1", b"\x08c2r1-w3 0")
w("fuzz_parsers", "type", b"\x01heartbeat")
w("fuzz_parsers", "type-num", b"\x016")
w("fuzz_parsers", "u64", b"\x0218446744073709551615")
w("fuzz_parsers", "seconds", b"\x031.5m")
w("fuzz_parsers", "bytes", b"\x0416MiB")
w("fuzz_parsers", "url", b"\x05nats://user:pw@h-1.example:4222,tls://[::1]:1")
w("fuzz_parsers", "shape-hybrid", b"\x06\x02\x014\x00\x03100\x07\x0230s\x01\x06hybrid")
w("fuzz_parsers", "shape-stdin", b"\x06\x05\x05tasks\x06\x00\x08\x011")
HEAD = b"swarm-top 1 3\nrun 5 flat 0 1 100 20 10 8 2 50\nstates 1 2 3 0 4 0\n"
w("fuzz_top", "flat", HEAD + b"slow w3 3 9000\nslow w17 17 1500\nlock 2500 900 4 40 /dev/shm/swarm-x/master.inbox\nfd w9 77 12 1\nend\n")
w("fuzz_top", "hybrid", b"swarm-top 1 1\nrun 10 hybrid 1 0 500 100 40 40 0 99\nstates 0 3 0 0 0 1\ncoord c1 11 1 15 10 0\ncoord c2r1 0 0 25 0 2\ncoords 4\nfinal\nend\n")
w("fuzz_top", "minimal", HEAD + b"end\n")
