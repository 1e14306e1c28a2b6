"""Compile the message catalogues (locale/<lang>/LC_MESSAGES/*.po -> .mo) with Babel.

The build's step (`make compilemessages`, a prerequisite of run, test and static): Babel is a
runtime dependency already, so a fresh machine needs no GNU gettext. The .mo files are not in
git. Refuses (exit 1) a catalogue Babel cannot read or whose entry's placeholders differ from
its msgid's (a translation missing %(amount)s would break the page).

    python scripts/compile_messages.py [PO_FILE…]   # none: every catalogue under locale/
"""

import re
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
# Python's %(name)s and Django's blocktranslate placeholders, and the script's {name}.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text or ""))


def problems(catalog) -> list[str]:
    found = []
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_placeholders(ids[-1])) | set(_placeholders(ids[0]))
        for string in strings:
            if string and not set(_placeholders(string)) <= wanted:
                found.append(f"{ids[0]!r}: {string!r} has placeholders not in the msgid")
    return found


def compile_po(po: Path) -> list[str]:
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parent.parent.name)
    found = [f"{po}: {problem}" for problem in problems(catalog)]
    if not found:
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)
    return found


def main(paths: list[str]) -> int:
    files = [Path(p) for p in paths] or sorted(ROOT.glob("locale/*/LC_MESSAGES/*.po"))
    found = [problem for po in files for problem in compile_po(po)]
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
