"""Child processes the newswire way: stopping one a launcher started, and keeping a pool
process out of the terminal's Ctrl-C."""

from __future__ import annotations

import signal
import subprocess

__all__ = ["ignore_interrupts", "stop_process"]


def ignore_interrupts() -> None:
    """Ignore SIGINT in this (pool) process.

    Ctrl-C in a terminal signals the whole process group: the parent decides when its pool
    processes stop (it shuts the pool down), not a KeyboardInterrupt in the middle of a task.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM (a worker's clean shutdown), SIGKILL after `timeout`; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()
