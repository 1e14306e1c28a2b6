"""Screenshots of every donor page and the main admin pages, at 390 px (a phone) and 1366 px
(a laptop), into docs/screens/ (README, "Screens").

    make run                                   # in another terminal: the demo, with the stand-in
    .venv/bin/python manage.py createsuperuser # once, for the admin's pages
    SCREENS_ADMIN_PASSWORD=… .venv/bin/python scripts/screens.py http://127.0.0.1:8000 --admin-user NAME

It starts nothing: it reads the pages of the Lifeline at BASE_URL in Debian's Chromium
(Playwright, the test suite's launch flags). To have a thanks page to show, it gives £25 on
the demo appeal with the test card 4242 4242 4242 4242 (the stand-in's card fields are plain
inputs; with real Stripe's iframes the thanks page is skipped, said so). The admin's pages
need a superuser's name and password (--admin-user, SCREENS_ADMIN_PASSWORD); without them
they are skipped. Files are `<page>-<width>.png`, of what shows without scrolling
(`--full-page` for whole pages). Exit 1 if a page could not be taken.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM_ARGS  # noqa: E402  (the suite's flags, one list)

WIDTHS = {390: {"width": 390, "height": 844, "is_mobile": True, "has_touch": True,
                "device_scale_factor": 2},
          1366: {"width": 1366, "height": 900}}
APPEAL = "emergency-appeal"
DONOR_PAGES = {
    "index": "/",
    "appeal": f"/appeals/{APPEAL}/",
    "appeal-jpy": "/appeals/typhoon-relief-japan/",
    "appeal-closed": "/appeals/winter-appeal-2025/",
    "embed": f"/appeals/{APPEAL}/embed/?utm_source=daily-news&ref=https%3A%2F%2Fnews.example%2Fa",
    "donor": "/donor/",
}
ADMIN_PAGES = {
    "admin-index": "/admin/",
    "admin-appeals": "/admin/appeals/appeal/",
    "admin-donations": "/admin/donations/donation/",
    "admin-receipts": "/admin/donations/receipt/",
    "admin-payments-health": "/admin/donations/donation/health/",
    "admin-audit-log": "/admin/audit/",
    "admin-finance-exports": "/admin/finance/exports/",
}


def give(page, base: str) -> str | None:
    """Give £25 on the demo appeal as a donor does; the thanks page's path, or None."""
    page.goto(f"{base}/appeals/{APPEAL}/")
    card = page.locator("#card-element")
    try:
        card.get_by_placeholder("number", exact=True).fill("4242424242424242", timeout=5_000)
    except PlaywrightError:
        return None  # real Stripe: its card fields are in iframes a script does not type into
    for placeholder, value in (("exp_month", "12"), ("exp_year", "34"), ("cvc", "123"),
                               ("postal_code", "SW1A1AA")):
        card.get_by_placeholder(placeholder, exact=True).fill(value)
    page.get_by_label("Email (for your receipt)").fill("jo.bloggs@example.com")
    page.get_by_label("First name").fill("Jo")
    page.get_by_label("Last name").fill("Bloggs")
    page.get_by_role("button", name=re.compile("Donate")).click()
    page.wait_for_url(re.compile(r"/donations/[0-9a-f-]+/thanks/$"), timeout=30_000)
    expect(page.get_by_test_id("status")).to_have_text("Succeeded", timeout=30_000)
    return re.sub(r"^https?://[^/]+", "", page.url)


def sign_in(page, base: str, user: str, password: str) -> bool:
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    try:
        expect(page.get_by_role("heading", level=1)).to_contain_text("administration")
    except AssertionError:
        return False
    return True


def newest_donation(page, base: str) -> str | None:
    page.goto(f"{base}/admin/donations/donation/")
    link = page.locator("#result_list tbody tr th a").first
    return link.get_attribute("href") if link.count() else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screens"))
    parser.add_argument("--admin-user", default=os.environ.get("SCREENS_ADMIN_USER", ""))
    parser.add_argument("--full-page", action="store_true")
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    password = os.environ.get("SCREENS_ADMIN_PASSWORD", "")
    taken, failed = [], []

    def shoot(page, name: str, path: str, width: int) -> None:
        try:
            answer = page.goto(base + path)
        except PlaywrightError as exc:
            failed.append(f"{name}: {exc.message.splitlines()[0]}")
            return
        if answer is None or answer.status >= 400:
            status = answer.status if answer else "no answer"
            if name == "donor" and status == 404:
                print(f"skipped {name}: {path} is not there yet (404)")
            else:
                failed.append(f"{name}: {path} answered {status}")
            return
        page.wait_for_load_state("networkidle")
        file = out / f"{name}-{width}.png"
        page.screenshot(path=str(file), full_page=args.full_page)
        taken.append(file)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            pages = {}
            for width, viewport in WIDTHS.items():
                size = {"width": viewport["width"], "height": viewport["height"]}
                extra = {k: v for k, v in viewport.items() if k not in size}
                pages[width] = browser.new_context(viewport=size, **extra).new_page()
                pages[width].set_default_timeout(15_000)
            thanks = give(pages[1366], base)
            if thanks is None:
                print("skipped thanks: the card fields are not plain inputs (real Stripe?)")
            admin_pages = dict(ADMIN_PAGES)
            signed_in = {}
            if args.admin_user and password:
                for width, page in pages.items():
                    signed_in[width] = sign_in(page, base, args.admin_user, password)
                if not all(signed_in.values()):
                    failed.append(f"admin: {args.admin_user} could not sign in")
                elif donation := newest_donation(pages[1366], base):
                    admin_pages["admin-donation"] = donation
                admin_pages["admin-appeal"] = None  # the demo appeal's page, found below
            else:
                print("skipped the admin's pages: give --admin-user and SCREENS_ADMIN_PASSWORD")
                admin_pages = {}
            for width, page in pages.items():
                donor = dict(DONOR_PAGES, **({"thanks": thanks} if thanks else {}))
                for name, path in donor.items():
                    shoot(page, name, path, width)
                if not signed_in.get(width):
                    continue
                for name, path in admin_pages.items():
                    if name == "admin-appeal":
                        page.goto(f"{base}/admin/appeals/appeal/?q={APPEAL}")
                        path = page.locator("#result_list tbody tr th a").first.get_attribute(
                            "href")
                    shoot(page, name, path, width)
        finally:
            browser.close()
    for file in taken:
        print(file.relative_to(ROOT) if file.is_relative_to(ROOT) else file)
    for problem in failed:
        print(f"FAILED {problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
