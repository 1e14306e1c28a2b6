"""core/cells.py: the one formula neutraliser of every CSV and XLSX export."""

import pytest

from core.cells import neutralise


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"), ("+44 20", "'+44 20"), ("-5", "'-5"), ("@A1", "'@A1"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Ada", "Ada"), ("", ""), ("a=b", "a=b"),
])
def test_neutralise_prefixes_formula_starters(value, expected):
    assert neutralise(value) == expected
