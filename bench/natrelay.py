#!/usr/bin/env python3
"""TCP relay on 127.0.0.1 that can lose its connection state the way a NAT box or a Wi-Fi switch does.

  natrelay.py LISTEN_PORT DEST_PORT [LOGFILE]
  SIGUSR1 -> black hole: no bytes move on any connection, new connections wait (sockets stay open,
             no FIN/RST), as in shared/bench/lib/relay.py.
  SIGUSR2 -> restore: everything moves again (the old connections survive: a short outage).
  SIGHUP  -> "forget": the network is back, but every connection open now stays black-holed for
             good (its NAT mapping is gone), while new connections pass. This is the seed article's
             case: ssh keeps a dead connection until its keepalives give up.
"""
import os
import select
import signal
import socket
import sys
import threading
import time

LPORT, DPORT = int(sys.argv[1]), int(sys.argv[2])
LOG = open(sys.argv[3], "a") if len(sys.argv) > 3 else sys.stderr
passing = threading.Event()
passing.set()
conns = []  # [alive_flag_event, ...] per connection
lock = threading.Lock()


def log(m):
    LOG.write("%.3f natrelay %s\n" % (time.time(), m))
    LOG.flush()


def on_usr1(*_):
    passing.clear()
    log("BLACKHOLE on")


def on_usr2(*_):
    passing.set()
    log("BLACKHOLE off")


def on_hup(*_):
    with lock:
        for ok in conns:
            ok.clear()  # these never pass again
    passing.set()
    log("FORGET: old connections dead for good, new ones pass")


def pump(a, b, ok, tag):
    try:
        while True:
            if not (passing.is_set() and ok.is_set()):
                time.sleep(0.05)
                continue
            r, _, _ = select.select([a], [], [], 0.05)
            if not r or not (passing.is_set() and ok.is_set()):
                continue
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        if ok.is_set():  # a forgotten connection is never closed: its peer must find out by itself
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        log("conn %s ended" % tag)


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGUSR2, on_usr2)
    signal.signal(signal.SIGHUP, on_hup)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", LPORT))
    ls.listen(64)
    ls.settimeout(0.05)
    log("listening 127.0.0.1:%d -> 127.0.0.1:%d pid=%d" % (LPORT, DPORT, os.getpid()))
    n = 0
    while True:
        if not passing.is_set():
            time.sleep(0.05)
            continue
        try:
            c, addr = ls.accept()
        except (socket.timeout, InterruptedError):
            continue
        c.settimeout(None)
        n += 1
        d = socket.create_connection(("127.0.0.1", DPORT))
        ok = threading.Event()
        ok.set()
        with lock:
            conns.append(ok)
        log("conn %d from %s" % (n, addr))
        threading.Thread(target=pump, args=(c, d, ok, "%d c->s" % n), daemon=True).start()
        threading.Thread(target=pump, args=(d, c, ok, "%d s->c" % n), daemon=True).start()


if __name__ == "__main__":
    main()
