/* The appeal page's per-reader part (docs/page-cache.md). The page is the same bytes for every
 * reader, so a shared cache can serve it; this script reads the article's attribution
 * (utm_*, ref) from the address, as attribution/middleware.py reads a landing:
 * - puts it in the donation form's hidden inputs (donate.js sends them with the gift);
 * - adds it to a closed appeal's link to its successor, so an old article is no dead end;
 * - counts the view with one beacon to our own origin, which also keeps a landing's
 *   attribution in the reader's cookie (a later page without parameters gives "from" it).
 * Loaded with `defer` before donate.js; no inline script (CSP). */
(function () {
  "use strict";
  var FIELDS = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "ref"];
  var LIMITS = {ref: 500};  // the others 200, as the server keeps them
  var article = document.querySelector("[data-appeal]");
  if (!article) return;

  var query = new URLSearchParams(window.location.search);
  var landing = {};
  var any = false;
  FIELDS.forEach(function (name) {
    var value = (query.get(name) || "").trim().slice(0, LIMITS[name] || 200);
    if (value) {
      landing[name] = value;
      any = true;
    }
  });

  var form = document.getElementById("donate-form");
  if (form && any) {
    FIELDS.forEach(function (name) {
      if (form[name]) form[name].value = landing[name] || "";
    });
  }

  if (any) {
    document.querySelectorAll("a[data-carries-attribution]").forEach(function (link) {
      var url = new URL(link.getAttribute("href"), window.location.href);
      FIELDS.forEach(function (name) {
        if (landing[name]) url.searchParams.set(name, landing[name]);
      });
      link.setAttribute("href", url.pathname + url.search + url.hash);
    });
  }

  var beacon = article.getAttribute("data-view-beacon");
  if (!beacon || !window.fetch) return;
  var body = {appeal: article.getAttribute("data-appeal"), kind: "page"};
  FIELDS.forEach(function (name) {
    if (landing[name]) body[name] = landing[name];
  });
  // fetch, not sendBeacon: a JSON body (which other sites' pages cannot send us without a
  // CORS preflight) and the cookie the answer sets; keepalive lets it finish if the reader
  // leaves at once. A lost beacon is one view uncounted, never an error the reader sees.
  fetch(beacon, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body),
    credentials: "same-origin",
    keepalive: true,
  }).catch(function () {});
})();
