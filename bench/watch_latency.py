#!/usr/bin/env python3
"""Watch-mode latency: file complete -> object durable, as `lifeline backup watch` reports it.

Writes N PNGs (copied from a dataset, in 64 KiB chunks, like an encoder) into a watched folder,
one every --gap seconds, notes the wall time each file was closed, then reads the watcher's
"stored <epoch-ms> <path>" lines and prints p50/p99/max in milliseconds.
"""
import argparse, os, shutil, statistics, sys, time

p = argparse.ArgumentParser()
p.add_argument("--pngs", required=True, help="folder with PNGs to copy")
p.add_argument("--into", required=True, help="watched folder")
p.add_argument("--log", required=True, help="the watcher's stdout")
p.add_argument("--count", type=int, default=200)
p.add_argument("--gap", type=float, default=0.05)
p.add_argument("--timeout", type=float, default=60)
a = p.parse_args()

src = sorted(os.path.join(d, f) for d, _, fs in os.walk(a.pngs) for f in fs if f.endswith(".png"))[: a.count]
closed = {}
os.makedirs(os.path.join(a.into, "lat"), exist_ok=True)
for i, f in enumerate(src):
    name = f"lat/w{i:04d}.png"
    with open(f, "rb") as r, open(os.path.join(a.into, name), "wb") as w:
        while True:
            b = r.read(65536)
            if not b:
                break
            w.write(b)
    closed[name] = time.time() * 1000
    time.sleep(a.gap)

deadline = time.time() + a.timeout
stored = {}
while time.time() < deadline:
    with open(a.log) as lg:
        for line in lg:
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[0] == "stored":
                path = parts[2].strip().split("/", 1)[1]  # drop the source name
                stored[path] = float(parts[1])
    if all(k in stored for k in closed):
        break
    time.sleep(0.2)
missing = [k for k in closed if k not in stored]
lat = sorted(stored[k] - closed[k] for k in closed if k in stored)
if not lat:
    print("no files stored", file=sys.stderr); sys.exit(1)
q = lambda x: lat[min(len(lat) - 1, int(round(x * (len(lat) - 1))))]
print(f"files={len(closed)} stored={len(lat)} missing={len(missing)} "
      f"p50_ms={q(0.5):.0f} p90_ms={q(0.9):.0f} p99_ms={q(0.99):.0f} max_ms={lat[-1]:.0f} mean_ms={statistics.mean(lat):.0f}")
