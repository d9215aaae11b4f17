#!/usr/bin/env python3
"""Small requests, as a web UI page makes them: N sequential GETs, a new TCP connection each.

  smallreq.py PORT PATH N   ->  median_ms=… p90_ms=… p99_ms=… n=N

Only 127.0.0.1. Nearest-rank percentiles, so one 40 ms stall in ten shows in p90.
"""
import math
import socket
import sys
import time


def get(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
        reply = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            reply += b
        assert reply.startswith(b"HTTP/1.") and b" 200 " in reply.split(b"\r\n", 1)[0], reply[:80]
    finally:
        s.close()


def rank(xs, q):
    return xs[max(0, math.ceil(q * len(xs)) - 1)]


def main():
    port, path, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for _ in range(3):
        get(port, path)  # warm up
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        get(port, path)
        xs.append((time.perf_counter() - t) * 1000)
    xs.sort()
    print("median_ms=%.2f p90_ms=%.2f p99_ms=%.2f n=%d" % (rank(xs, 0.5), rank(xs, 0.9), rank(xs, 0.99), n))


if __name__ == "__main__":
    main()
