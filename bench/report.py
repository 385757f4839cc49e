"""Write one benchmark's results into its own section of docs/benchmarks.md."""
from __future__ import annotations

import os
import platform
import re
from datetime import date
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Budgets live here, not in timed tests. Each section is rewritten by the script named in it;
numbers come from the machine named in the section (2 cores, as the CI and a small server).
"""


def write_section(title: str, body: str, command: str) -> None:
    """Replace (or add) the section `title` with `body`."""
    text = DOC.read_text() if DOC.exists() else HEADER
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    section = (f"## {title}\n\nRun with {command} on {date.today().isoformat()} "
               f"({machine}).\n\n{body}\n")
    pattern = re.compile(rf"## {re.escape(title)}\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    DOC.write_text(text)
