"""The worker processes' memory, as the bot watches it: screening jobs (jobs.py) and the
OCR worker (ocr.py) are stopped when they pass their cap."""

from __future__ import annotations


def resident_bytes(pid: int) -> int:
    """A process's resident memory (Linux); 0 where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0
