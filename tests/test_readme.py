"""The README's promises: its lecture-to-code links point at the lines they quote."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(
    r"^\|[^|]*\| `(?P<code>[^`]+)` \| \[[^\]]+\]\((?P<path>[^#)]+)#L(?P<line>\d+)\) \|$"
)


def test_lecture_table_links_point_at_the_quoted_lines():
    rows = [ROW.match(line) for line in (ROOT / "README.md").read_text().splitlines()]
    rows = [r for r in rows if r]
    assert len(rows) >= 12
    for row in rows:
        lines = (ROOT / row["path"]).read_text().splitlines()
        where = [i + 1 for i, line in enumerate(lines) if row["code"] in line]
        assert int(row["line"]) in where, f"{row['code']!r} is at {row['path']} lines {where}"


def test_every_lecture_row_links_to_a_lesson_that_exists():
    rows = [ROW.match(line) for line in (ROOT / "README.md").read_text().splitlines()]
    firsts = [r.group(0).split("|")[1] for r in rows if r]
    lessons = [re.search(r"\]\((lessons/[^)]+\.ipynb)\)", first) for first in firsts]
    assert firsts and all(lessons), "every row of the lecture table links to its lesson"
    assert all((ROOT / lesson[1]).is_file() for lesson in lessons)


def test_quick_start_has_exactly_the_two_commands():
    text = (ROOT / "README.md").read_text()
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip()]
    assert commands == ["pip install . && vectorlearn train", 'pip install ".[test]" && pytest']
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install ".[test]"' in ci and "pytest" in ci
