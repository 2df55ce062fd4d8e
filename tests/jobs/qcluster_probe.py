"""Task bodies used by the real-worker tests: they leave a trace a test can count."""

from __future__ import annotations

import os


def append_line(path: str, text: str) -> str:
    # O_APPEND writes of one short line are atomic, so several worker processes can share a file.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, f"{text}\n".encode())
    finally:
        os.close(fd)
    return text
