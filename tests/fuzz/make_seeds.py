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
