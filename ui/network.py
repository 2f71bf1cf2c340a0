"""Clicks answered without a 40 ms stall: TCP_NODELAY on the server's sockets.

Streamlit 1.67 binds its listening socket itself (``socket.socket(family)``,
protocol 0), and asyncio only switches Nagle's algorithm off for sockets
created with ``IPPROTO_TCP``. So each run's messages after the first wait
for the browser's delayed acknowledgement: on Linux 40 ms a click (more on
other systems), whatever the run costs; a warm page that runs in 12 ms
arrived after 47 ms (``bench/load_test.py`` measured it with and without).
Linux copies TCP_NODELAY from a listening socket to every connection it
accepts, so setting it once on the sockets the process already holds (the
listening one among them) is enough for every later connection.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)
FDS = "/proc/self/fd"


def send_without_delay() -> int:
    """Set TCP_NODELAY on every TCP socket of this process that lacks it;
    how many were changed. Nothing happens where ``/proc`` is missing."""
    try:
        names = os.listdir(FDS)
    except OSError:
        return 0
    changed = 0
    for name in names:
        try:
            if not os.readlink(f"{FDS}/{name}").startswith("socket:"):
                continue
            probe = socket.socket(fileno=os.dup(int(name)))  # a duplicate, ours to close: the socket stays its owner's
        except (OSError, ValueError):
            continue  # closed meanwhile, or not a socket after all
        try:
            if (probe.type == socket.SOCK_STREAM and probe.family in (socket.AF_INET, socket.AF_INET6)
                    and not probe.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)):
                probe.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                changed += 1
        except OSError:
            pass
        finally:
            probe.close()
    log.debug("TCP_NODELAY set on %d sockets", changed)
    return changed
