"""Django's `{# … #}` comment is one line only: one spread over lines is printed as text on
the page (the appeal page showed two to every donor). Multi-line comments use
{% comment %}."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPENED_NOT_CLOSED = re.compile(r"\{#(?:(?!#\}).)*$", re.M)


def test_no_template_has_a_comment_spread_over_lines():
    templates = [p for p in ROOT.glob("**/templates/**/*") if p.is_file()
                 and ".venv" not in p.parts and p.suffix in (".html", ".txt")]
    assert templates
    broken = [f"{p.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
              for p in templates for text in [p.read_text()]
              for m in OPENED_NOT_CLOSED.finditer(text)]
    assert broken == []
