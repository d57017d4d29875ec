#!/usr/bin/env python3
"""Runs a command with its stdin, stdout and stderr on a pseudo-terminal, and writes what it
printed to our stdout (so a test can see what a user at a terminal would).

Usage: on-a-terminal.py COMMAND [ARGS...]
"""
import os
import pty
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
output = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    output += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(output)
sys.exit(os.waitstatus_to_exitcode(status))
