"""Write one section of docs/BENCHMARKS.md, leaving the others as they are."""

from __future__ import annotations

import os
import platform
import re
from datetime import date
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "docs" / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nMeasured on this project's own machine; rerun the scripts to refresh.\n"


def machine() -> str:
    """One line naming the machine: CPU model, cores, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}"


def load_note(at_start: float) -> str:
    """The machine's 1-minute load average at a run's start and end, as one sentence."""
    return (
        f"Load average at start / end: {at_start:.1f} / {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores."
    )


def write_section(title: str, body: str) -> None:
    """Replace the ``## title`` section of docs/BENCHMARKS.md with ``body`` (or append it)."""
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    section = f"## {title}\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text + "\n" + section
    BENCHMARKS.write_text(re.sub(r"\n{3,}", "\n\n", text))


def publish(title: str, body: str, *, write: bool) -> int:
    """Print the section, and with ``write`` put it into docs/BENCHMARKS.md; exit code 0."""
    print(f"## {title}\n\n{body}")
    if write:
        write_section(title, body)
    return 0
