/* The publisher's page (pages/templates/pages/publishers.html): reads the publication's feed
 * (GET /api/v1/publishers/<source>/stats/, `Authorization: Token KEY`) from this browser and
 * shows it as tables; the CSV is fetched the same way and saved as a file. The key stays in
 * the form: never in an address, a cookie or storage. Text comes from the page (translated);
 * amounts are written in the page's language by Intl, as donate.js does. */
(function () {
  "use strict";
  var form = document.getElementById("publisher-form");
  if (!form) return;
  var T = JSON.parse(document.getElementById("publisher-texts").textContent);
  var errorEl = document.getElementById("publisher-error");
  var results = document.getElementById("publisher-results");
  var lang = document.documentElement.lang || "en";

  function feedUrl(csv) {
    var source = form.source.value.trim();
    var url = "/api/v1/publishers/" + encodeURIComponent(source) + (csv ? "/stats.csv" : "/stats/");
    var query = new URLSearchParams();
    if (form.elements.from.value) query.set("from", form.elements.from.value);
    if (form.to.value) query.set("to", form.to.value);
    return query.toString() ? url + "?" + query : url;
  }
  function ask(csv) {
    errorEl.textContent = "";
    if (!form.source.value.trim() || !form.key.value.trim()) {
      errorEl.textContent = T.missing;
      return Promise.resolve(null);
    }
    return fetch(feedUrl(csv), {
      headers: {"Authorization": "Token " + form.key.value.trim()},
      credentials: "omit",
    }).then(function (res) {
      if (res.ok) return res;
      return res.json().catch(function () { return {}; }).then(function (body) {
        var message = T["status" + res.status] || T.failed;
        if (res.status === 400) {
          message = Object.keys(body).map(function (f) { return [].concat(body[f]).join(" "); }).join(" ");
        } else if (res.status === 429) {
          message = T.status429.replace("%(seconds)s", res.headers.get("Retry-After") || "60");
        }
        errorEl.textContent = message;
        return null;
      });
    }, function () {
      errorEl.textContent = T.failed;
      return null;
    });
  }

  function money(value, currency) {
    if (value === null || value === undefined) return T.hidden;
    return new Intl.NumberFormat(lang, {style: "currency", currency: currency}).format(Number(value));
  }
  function count(value) {
    return value === null || value === undefined ? T.hidden : new Intl.NumberFormat(lang).format(value);
  }
  function row(tbody, cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (text) {
      var td = document.createElement("td");
      td.textContent = text;  // text, never markup: refs come from readers' addresses
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
  function show(data) {
    var articles = document.querySelector("[data-testid=articles] tbody");
    var placements = document.querySelector("[data-testid=placements] tbody");
    articles.textContent = "";
    placements.textContent = "";
    data.articles.forEach(function (e) {
      row(articles, [e.ref || T.noArticle, e.placement || T.noPlacement, count(e.views),
                     count(e.started), count(e.declines), count(e.gifts),
                     money(e.amount, e.currency), money(e.amount_per_1000_views, e.currency),
                     e.interval ? money(e.interval[0], e.currency) + " – " + money(e.interval[1], e.currency) : T.hidden]);
    });
    if (!data.articles.length) row(articles, [T.nothing, "", "", "", "", "", "", "", ""]);
    data.placements.forEach(function (c) {
      row(placements, [c.ref || T.noArticle, c.placement || T.noPlacement, c.versus || T.noPlacement,
                       money(c.difference_per_1000_views, c.currency),
                       money(c.interval[0], c.currency) + " – " + money(c.interval[1], c.currency),
                       c.clear ? T.clear : T.unclear]);
    });
    if (!data.placements.length) row(placements, [T.noComparison, "", "", "", "", ""]);
    results.hidden = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(false).then(function (res) { return res && res.json().then(show); });
  });
  document.getElementById("publisher-csv").addEventListener("click", function () {
    ask(true).then(function (res) {
      if (!res) return;
      return res.blob().then(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = form.source.value.trim().replace(/[^A-Za-z0-9_-]+/g, "-") + "-stats.csv";
        document.body.appendChild(link);
        link.click();
        link.remove();
        setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      });
    });
  });
})();
