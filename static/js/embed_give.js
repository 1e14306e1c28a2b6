/* The widget's form (pages/templates/pages/embed.html) loads Stripe.js, then donate.js, only
 * when the reader starts giving (a focus, click, tap or key in the form): the article's
 * readers who do not give load neither (a lighter article) and Stripe sees none of them. The
 * same scripts as the appeal page, in the same order, from the addresses the page names
 * (data-stripe-js, data-donate-js); a Stripe.js that fails to load is reported by donate.js. */
(function () {
  "use strict";
  var give = document.querySelector("[data-stripe-js]");
  var status = document.getElementById("form-status");
  if (!give || !status) return;
  var loading = status.textContent;
  status.textContent = "";
  var started = false;

  function load(src, then) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = then;
    script.onerror = then;
    document.body.appendChild(script);
  }
  function start() {
    if (started) return;
    started = true;
    status.textContent = loading;
    load(give.getAttribute("data-stripe-js"), function () {
      load(give.getAttribute("data-card-fields-js"), function () {
        load(give.getAttribute("data-donate-js"), function () {});
      });
    });
  }
  ["focusin", "pointerdown", "keydown"].forEach(function (type) {
    give.addEventListener(type, start);
  });
})();
