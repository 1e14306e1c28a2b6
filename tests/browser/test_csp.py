"""The Content Security Policy in Chromium: donors' pages, the 3-D Secure flow, the widget, the
API docs and the admin run without one violation, and a script from anywhere else is refused."""

import re

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from donations.models import Donation
from tests.browser.test_donate import fill_card, fill_donor, give_with_3d_secure, open_appeal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"

# Runs before any page script (Playwright injects it outside the page's CSP).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def watched(browser, **options):
    """A page that records every CSP violation: the DOM event and Chromium's console report."""
    context = browser.new_context(**options)
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_reports = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text
            and page.console_reports.append(msg.text))
    return page


def violations(page) -> list[str]:
    in_page = [v for frame in page.frames for v in frame.evaluate("window.__violations || []")]
    return in_page + page.console_reports


def test_donor_pages_and_a_3d_secure_gift_run_with_no_violation(demo, live_server, browser):
    page = watched(browser, viewport={"width": 390, "height": 844})
    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name=re.compile("Emergency Appeal")).first).to_be_visible()
    assert violations(page) == [], violations(page)

    open_appeal(page, live_server)
    fill_donor(page, "£50.00")
    fill_card(page, "4000002500003155")
    give_with_3d_secure(page)
    assert Donation.objects.get().status == "succeeded"
    assert violations(page) == [], violations(page)

    page.goto(live_server.url + "/appeals/emergency-appeal/embed/")
    expect(page.get_by_role("link").first).to_be_visible()
    assert violations(page) == [], violations(page)
    page.goto(live_server.url + "/api/docs/")
    expect(page.get_by_text("Lifeline API").first).to_be_visible()
    assert violations(page) == [], violations(page)
    page.context.close()


def test_a_script_from_another_origin_or_inline_is_refused(demo, live_server, browser):
    page = watched(browser)
    # Whatever a third party would serve: the browser must not even ask for it.
    asked = []
    page.route("https://tracker.example/**", lambda route: (
        asked.append(route.request.url),
        route.fulfill(body="window.__tracked = true;", content_type="text/javascript")))
    open_appeal(page, live_server)
    page.evaluate("""() => {
        const remote = document.createElement("script");
        remote.src = "https://tracker.example/t.js";
        document.body.append(remote);
        const inline = document.createElement("script");
        inline.textContent = "window.__inline = true;";
        document.body.append(inline);
    }""")
    page.wait_for_function("window.__violations.length >= 2")
    assert page.evaluate("window.__tracked === undefined && window.__inline === undefined")
    assert asked == []
    reported = " ".join(violations(page))
    assert "https://tracker.example/t.js" in reported and "inline" in reported
    page.context.close()


def test_the_admin_runs_with_no_violation(demo, live_server, browser, django_user_model):
    user = django_user_model.objects.create_user("amira", "amira@charity.example", PASSWORD,
                                                 is_staff=True, is_superuser=True)
    user.groups.add(Group.objects.get(name="Appeal admins"))
    page = watched(browser, viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill("amira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("administration")

    # The pages with the admin's own scripts: inlines, date pickers, filters, actions.
    for path in ("/admin/appeals/appeal/add/", "/admin/appeals/appeal/",
                 "/admin/donations/donation/", "/admin/audit/", "/admin/two-factor/",
                 "/admin/auth/user/1/change/", "/admin/finance/exportlog/"):
        answer = page.goto(live_server.url + path)
        assert answer.status == 200, path
        page.wait_for_load_state("load")
    page.goto(f"{live_server.url}/admin/appeals/appeal/add/")
    page.get_by_text(re.compile("^Add another")).first.click()
    assert violations(page) == [], violations(page)
    page.context.close()
