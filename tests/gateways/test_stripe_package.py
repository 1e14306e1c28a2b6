"""Stripe lives in gateways/stripe/: no other product code imports the SDK or branches on
the stand-in. (import-linter is not among the test dependencies; this reads the sources.)"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "gateways" / "stripe"
# Not product code: the suite, measurements, the stand-in's runner and tools.
NOT_PRODUCT = {"tests", "bench", "scripts", "var", "static", "templates", "docs", "node_modules"}


def product_modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in NOT_PRODUCT or parts[0].startswith("."):
            continue
        yield path


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_only_the_stripe_package_imports_the_sdk():
    modules = list(product_modules())
    assert len(modules) > 50 and PACKAGE / "client.py" in modules
    outside = [
        str(path.relative_to(ROOT)) for path in modules
        if not path.is_relative_to(PACKAGE)
        and any(name == "stripe" or name.startswith(("stripe.", "localstripe"))
                for name in imported_modules(path))
    ]
    assert outside == []


def test_only_the_stripe_package_and_settings_know_the_stand_in_is_there():
    outside = [
        str(path.relative_to(ROOT)) for path in product_modules()
        if not path.is_relative_to(PACKAGE) and not path.is_relative_to(ROOT / "config")
        and "STRIPE_USES_STAND_IN" in path.read_text()
    ]
    assert outside == []
