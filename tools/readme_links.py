"""Rewrite the line numbers of the README's lecture-to-code table from the code they quote.

    python tools/readme_links.py        # fix README.md in place
tests/test_readme.py checks the same links; run this when that test says a line moved.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(
    r"^(\|[^|]*\| `(?P<code>[^`]+)` \| \[)(?P<label>[^\]#]+)#L\d+(\]\()(?P<path>[^#)]+)"
    r"#L(?P<line>\d+)(\) \|)$"
)


def fix(line: str) -> str:
    match = ROW.match(line)
    if not match:
        return line
    source = (ROOT / match["path"]).read_text().splitlines()
    where = [i + 1 for i, text in enumerate(source) if match["code"] in text]
    if int(match["line"]) in where:
        return line
    exact = [n for n in where if source[n - 1].strip() == match["code"]]
    where = exact or where
    if len(where) != 1:
        raise SystemExit(f"{match['code']!r} appears {len(where)} times in {match['path']}")
    n = where[0]
    return (
        f"{match.group(1)}{match['label']}#L{n}{match.group(4)}{match['path']}#L{n}{match.group(7)}"
    )


def main():
    readme = ROOT / "README.md"
    lines = readme.read_text().splitlines()
    readme.write_text("\n".join(fix(line) for line in lines) + "\n")


if __name__ == "__main__":
    main()
