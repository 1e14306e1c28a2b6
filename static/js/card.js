/* A monthly gift's card page (pages/regular_gift_card.py, docs/monthly-gifts.md): the same
 * Payment Element and ConfirmationToken as the donation form (static/js/donate.js,
 * docs/card-flow.md), in `setup` mode, finalized on our server:
 *   1. elements.submit() checks the card fields.
 *   2. stripe.createConfirmationToken({elements}) -> the card goes to Stripe only.
 *   3. POST this page {confirmation_token} (CSRF token in the header) -> our server saves the
 *      card with a SetupIntent, makes it the gift's card, and pays a failed month with it.
 *   4. requires_action: stripe.handleNextAction() runs the bank's check, then POST
 *      {setup_intent} to finish. A declined card: the donor types another.
 */
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form) return;
  var config = JSON.parse(document.getElementById("card-config").textContent);
  var say = config.messages;
  var button = document.getElementById("card-button");
  var statusEl = document.getElementById("card-status");
  var errorEl = document.getElementById("err-card");
  var done = document.getElementById("card-done");
  if (typeof window.Stripe !== "function") {
    statusEl.textContent = "";
    errorEl.textContent = say.loadFailed;
    return;
  }
  var stripe = window.Stripe(config.publishableKey, {locale: config.locale});
  var elements = stripe.elements({mode: "setup", currency: config.currency,
                                  paymentMethodTypes: config.paymentMethodTypes});
  elements.create("payment").mount("#card-element");
  labelCardInputs();
  button.disabled = false;
  statusEl.textContent = "";
  var busyNow = false;

  function labelCardInputs() {
    if (window.lifelineLabelCardInputs) window.lifelineLabelCardInputs(say);  // card_fields.js
  }
  function busy(on, text) {
    busyNow = on;
    button.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    statusEl.textContent = text || "";
  }
  function fail(message) {
    errorEl.textContent = message;
    busy(false, "");
    var first = document.querySelector("#card-element input");
    if (first) first.focus();
  }
  function post(data) {
    return fetch(window.location.href, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value},
      body: JSON.stringify(data),
      credentials: "same-origin",
    }).then(function (r) {
      return r.json().then(function (j) { return {status: r.status, json: j || {}}; },
                           function () { return {status: r.status, json: {}}; });
    });
  }
  function finish(res) {
    var out = res.json;
    if (res.status === 200 && out.outcome === "requires_action") {
      busy(true, say.bank);
      return stripe.handleNextAction({clientSecret: out.client_secret}).then(function (result) {
        if (result.error) { fail(say.bankFailed); return; }
        return post({setup_intent: out.setup_intent}).then(finish);
      });
    }
    if (res.status === 200 && (out.outcome === "paid" || out.outcome === "saved")) {
      form.hidden = true;
      done.textContent = out.outcome === "paid" ? say.paid : say.saved;
      done.hidden = false;
      done.focus();
      busy(false, "");
      return;
    }
    if (res.status === 402) { fail(out.message || say.check); return; }
    var messages = [];
    Object.keys(out).forEach(function (k) { messages = messages.concat(out[k]); });
    fail(messages.filter(function (m) { return typeof m === "string"; }).join(" ") || say.error);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busyNow) return;
    errorEl.textContent = "";
    busy(true, say.saving);
    elements.submit().then(function (checked) {
      if (checked.error) { fail(checked.error.message || say.check); return; }
      return stripe.createConfirmationToken({elements: elements}).then(function (result) {
        if (result.error) { fail(result.error.message || say.check); return; }
        return post({confirmation_token: result.confirmationToken.id}).then(finish);
      });
    }).catch(function () { fail(say.lost); });
  });
})();
