/* The donation form: Stripe's Payment Element, the payment finalized on our server
 * (docs/card-flow.md). The same against real Stripe and the local stand-in:
 *   1. elements.submit() checks the payment fields.
 *   2. POST /api/v1/donations/ with the page's Idempotency-Key -> donation + PaymentIntent.
 *   3. stripe.createConfirmationToken({elements}) -> the card goes from the browser to Stripe
 *      only; we get a ConfirmationToken id.
 *   4. POST .../pay/ {confirmation_token} -> our server confirms the PaymentIntent with it.
 *      If the bank wants 3-D Secure, stripe.handleNextAction() shows it (once), then the
 *      thanks page waits for the gift's status. A declined card: the donor types another and
 *      the same PaymentIntent takes it.
 *   A slow or lost pay answer is not a failure: the page says it is still taking the gift and
 *   reads the gift's own status (pay() below, docs/card-flow.md, step 7).
 */
(function () {
  "use strict";
  var form = document.getElementById("donate-form");
  if (!form) return;
  var config = JSON.parse(document.getElementById("form-config").textContent);
  // Every word the script shows, in the page's language (pages/script_messages.py).
  var M = config.messages;
  var button = document.getElementById("donate-button");
  var statusEl = document.getElementById("form-status");
  if (typeof window.Stripe !== "function") {
    // Stripe.js did not load (a blocker, no connection): the button stays disabled, so the
    // form sends nothing (no details in a URL or a log), and the donor is told why.
    statusEl.textContent = "";
    document.getElementById("err-card").textContent = M.stripeMissing;
    return;
  }
  var stripe = window.Stripe(config.publishableKey);
  var elements = stripe.elements({mode: "payment", amount: 100, locale: config.stripeLocale,
                                  currency: config.currency.toLowerCase(),
                                  paymentMethodTypes: config.paymentMethodTypes});
  var paymentElement = elements.create("payment");
  paymentElement.mount("#card-element");
  labelCardInputs();
  button.disabled = false; // the payment fields are ready
  statusEl.textContent = "";

  // One key per page view: a double tap or a retried request reuses it (one donation).
  var idempotencyKey = newKey();
  var created = null; // {id, body} once the donation exists
  var paying = false; // a pay request, or the wait for its outcome, is under way

  function minorToMajor(minor) {
    var exp = config.exponent, s = String(minor);
    if (exp === 0) return s;
    while (s.length <= exp) s = "0" + s;
    return s.slice(0, -exp) + "." + s.slice(-exp);
  }
  // The same CLDR formats as the server's Babel (core/money.py format_money), same locale.
  // Latin digits, as Babel writes them (Arabic too: CLDR's default for "ar").
  var money = new Intl.NumberFormat(config.locale + "-u-nu-latn", {style: "currency", currency: config.currency});
  function display(minor) {
    return money.format(Number(minorToMajor(minor)));
  }
  function newKey() {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function labelCardInputs() {
    if (window.lifelineLabelCardInputs) window.lifelineLabelCardInputs(M);  // card_fields.js
  }
  function focusCard() {
    var first = document.querySelector("#card-element input");
    if (first) first.focus();
  }
  // The amount typed in "Other amount" is read in the page's language, by the same rules as
  // the server's (core/money.py, parse_amount): the machine form 25.00, or the language's
  // own (10,50 in German, 1,050 in English), never a guess. This reading only shows the total;
  // the typed text goes to the server as it is, and the server decides.
  var pageLang = document.documentElement.lang || "en";
  var SPACES = " \u00a0\u202f\u2009";
  var typing = (function () {
    var nf;
    try { nf = new Intl.NumberFormat(pageLang + "-u-nu-latn"); } catch (e) { nf = new Intl.NumberFormat("en"); }
    var s = {decimal: ".", group: ",", marks: [config.currency]};
    nf.formatToParts(1234567.5).forEach(function (p) {
      if (p.type === "decimal") s.decimal = p.value;
      if (p.type === "group") s.group = p.value;
    });
    ["symbol", "narrowSymbol"].forEach(function (display) {
      try {
        new Intl.NumberFormat(pageLang, {style: "currency", currency: config.currency, currencyDisplay: display})
          .formatToParts(1).forEach(function (p) { if (p.type === "currency") s.marks.push(p.value); });
      } catch (e) { /* an old browser: the code alone */ }
    });
    return s;
  })();
  function escapeRe(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function parseMinor(text) {
    var exp = config.exponent, readings = {}, count = 0;
    text = (text || "").trim();
    for (var i = 0; i < typing.marks.length; i++) {
      var mark = typing.marks[i];
      if (text.indexOf(mark) === 0) { text = text.slice(mark.length).trim(); break; }
      if (text.length > mark.length && text.slice(-mark.length) === mark) { text = text.slice(0, -mark.length).trim(); break; }
    }
    function add(whole, frac) {
      if (frac.length > exp || whole.replace(/^0+/, "").length > 15) return;
      while (frac.length < exp) frac += "0";
      var minor = parseInt(whole + frac, 10);
      if (!(minor in readings)) { readings[minor] = true; count++; }
    }
    var m = text.match(/^([0-9]+)(?:\.([0-9]+))?$/);
    if (m) add(m[1], m[2] || "");
    var g = typing.group, d = escapeRe(typing.decimal), local = text;
    if (SPACES.indexOf(g) >= 0) { local = local.replace(/[ \u00a0\u202f\u2009]/g, " "); g = " "; }
    g = escapeRe(g);
    m = local.match(new RegExp("^([0-9]+|[1-9][0-9]{0,2}(?:" + g + "[0-9]{3})+)(?:" + d + "([0-9]+))?$"));
    if (m) add(m[1].split(new RegExp(g)).join(""), m[2] || "");
    if (count !== 1) return null; // not an amount, or two readings: the server says why
    return parseInt(Object.keys(readings)[0], 10);
  }
  function feeEstimate(gift) {
    // Same estimate as the server (core/money.py): gross = (gift + fixed) / (1 - pct).
    var pctThousandths = Math.round(parseFloat(config.feePercent) * 100000);
    var gross = Math.ceil(((gift + config.feeFixed) * 100000) / (100000 - pctThousandths));
    return gross - gift;
  }
  function otherChosen() {
    var preset = form.querySelector("input[name=preset]:checked");
    return !preset || preset.value === "other";
  }
  function selectedMinor() {
    if (!otherChosen()) return parseInt(form.querySelector("input[name=preset]:checked").value, 10);
    return parseMinor(form.amount_other.value);
  }
  function refreshTotals() {
    var gift = selectedMinor();
    var otherWrap = form.querySelector(".other-amount");
    var preset = form.querySelector("input[name=preset]:checked");
    otherWrap.hidden = !(preset && preset.value === "other");
    var feeEl = document.getElementById("fee-estimate");
    var total = document.getElementById("total");
    var monthly = form.querySelector("input[name=frequency][value=monthly]");
    monthly = !!(monthly && monthly.checked);
    var summary = document.getElementById("frequency-summary");
    document.getElementById("per-month").textContent = monthly ? M.perMonth : "";
    summary.hidden = !(monthly && gift);
    if (gift) {
      var fee = feeEstimate(gift);
      feeEl.textContent = display(fee);
      total.textContent = display(gift + (form.cover_fees.checked ? fee : 0));
      // A monthly gift: what is taken and when (Stripe bills on this day of each month).
      summary.textContent = M.monthlySummary
        .split("{amount}").join(display(gift + (form.cover_fees.checked ? fee : 0)))
        .split("{day}").join(dayOfMonth(new Date().getDate()));
      // Elements offers the payment methods that suit the amount (Stripe asks to keep it true).
      elements.update({amount: gift + (form.cover_fees.checked ? fee : 0)});
    } else {
      feeEl.textContent = M.aLittle;
      total.textContent = "";
    }
  }
  function dayOfMonth(day) {
    // "the 7th" in English; the other languages' sentences take the number as it is.
    if (pageLang.slice(0, 2) !== "en") return String(day);
    var tens = day % 100, ones = day % 10;
    var suffix = (tens > 10 && tens < 14) ? "th" : ones === 1 ? "st" : ones === 2 ? "nd" : ones === 3 ? "rd" : "th";
    return day + suffix;
  }
  form.addEventListener("change", refreshTotals);
  form.addEventListener("input", refreshTotals);
  var giftAid = document.getElementById("gift_aid");
  if (giftAid) {
    giftAid.addEventListener("change", function () {
      document.getElementById("gift-aid-details").hidden = !giftAid.checked;
    });
  }
  // A link from the publisher's widget may choose the amount (?amount=2500, minor units).
  var wanted = new URLSearchParams(window.location.search).get("amount");
  if (wanted) {
    var option = form.querySelector('input[name=preset][value="' + wanted.replace(/\D/g, "") + '"]');
    if (option) option.checked = true;
  }
  refreshTotals();

  function clearErrors() {
    form.querySelectorAll(".error").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }
  function showErrors(errors) {
    var first = null;
    Object.keys(errors).forEach(function (field) {
      var msg = [].concat(errors[field]).join(" ");
      var target = form.querySelector('[data-error-for~="' + field + '"]') ||
                   document.getElementById("err-card");
      target.textContent = (target.textContent ? target.textContent + " " : "") + msg;
      var input = form.querySelector('[name="' + field + '"]') ||
                  (field === "amount" ? form.amount_other : null);
      if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    });
    if (first && !first.hidden) first.focus();
  }
  function busy(on, text) {
    button.disabled = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
    statusEl.textContent = text || "";
  }
  function body() {
    var gift = selectedMinor();
    var data = {
      appeal: config.appeal,
      // A suggested amount in the machine form; a typed one exactly as typed: the server
      // reads it in the page's language (sent as Accept-Language below).
      amount: otherChosen() ? form.amount_other.value.trim() : minorToMajor(gift),
      currency: config.currency,
      designation: form.designation ? (form.designation.value || null) : null,
      email: form.email.value.trim(),
      first_name: form.first_name.value.trim(),
      last_name: form.last_name.value.trim(),
      anonymous: form.anonymous.checked,
      cover_fees: form.cover_fees.checked,
      gift_aid: giftAid ? giftAid.checked : false,
      frequency: (form.querySelector("input[name=frequency]:checked") || {value: "once"}).value,
    };
    if (data.gift_aid) {
      data.address_line1 = form.address_line1.value.trim();
      data.postcode = form.postcode.value.trim();
    }
    config.attribution.forEach(function (n) {
      if (form[n] && form[n].value) data[n] = form[n].value;
    });
    return data;
  }
  function post(url, data, headers) {
    return fetch(url, {
      method: "POST",
      // The page's language, so the server reads a typed amount (and writes the receipt) in it.
      headers: Object.assign({"Content-Type": "application/json", "Accept": "application/json",
                              "Accept-Language": pageLang}, headers || {}),
      body: data ? JSON.stringify(data) : "{}",
      credentials: "same-origin",
    }).then(function (r) {
      var retryAfter = parseInt(r.headers.get("Retry-After"), 10);
      return r.json().then(function (j) { return {json: j, isJson: true}; },
                           function () { return {json: {}, isJson: false}; }).then(function (read) {
        return {status: r.status, json: read.json || {}, isJson: read.isJson,
                retryAfter: retryAfter >= 0 ? retryAfter : null};
      });
    });
  }
  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }
  // An answer that says nothing about what happened: the request or its answer was lost (a
  // network error, a proxy's timeout), the server failed (5xx), or a body that is not ours.
  function unclear(res) {
    return !res || res.status >= 500 || !res.isJson;
  }
  // A 503 shed before any work started (config/deadlines.py): safe to send again, once.
  function shed(res) {
    return res && res.status === 503 && res.isJson && res.json.shed === true;
  }
  function postOnceMore(url, data, headers) {
    // Sent again once after a lost answer or a server error: the same Idempotency-Key makes
    // the retry answer with the same donation (one donation, one PaymentIntent).
    var send = function () { return post(url, data, headers).catch(function () { return null; }); };
    return send().then(function (res) {
      if (!unclear(res)) return res;
      return wait(((res && res.retryAfter) || 1) * 1000).then(send);
    });
  }
  // The card's and the wallet's one way to a paid gift (create -> token -> pay -> handlePay):
  // the same donation and Idempotency-Key while the gift is unchanged (a retry, another card
  // after a decline), a new donation and key once the donor changes it.
  function keyFor(serialised) {
    if (created && created.body !== serialised) { created = null; idempotencyKey = newKey(); }
  }
  function createDonation(data, serialised, cardProblem) {
    if (created) return Promise.resolve(created);
    return postOnceMore("/api/v1/donations/", data, {"Idempotency-Key": idempotencyKey}).then(function (res) {
      if (!res) throw new Error("no answer");
      if (res.status === 201) {
        created = {id: res.json.id, body: serialised};
        return created;
      }
      if (res.status === 400) {
        showErrors(res.json);
        if (cardProblem) document.getElementById("err-card").textContent = cardProblem;
        busy(false, M.checkForm);
      }
      else { fail((res.json.non_field_errors || [M.somethingWrong]).join(" ")); }
      return null;
    });
  }
  function tokenAndPay(donation, data) {
    // {error} from Stripe.js, or {res}: our server's answer to the pay (null: none came), for
    // settle().
    return stripe.createConfirmationToken({
      elements: elements,
      params: {payment_method_data: {billing_details: {
        name: (data.first_name + " " + data.last_name).trim() || undefined, email: data.email}}},
    }).then(function (result) {
      if (result.error) return {error: result.error};
      return pay(donation, result.confirmationToken.id).then(function (res) { return {res: res}; });
    });
  }
  function fail(message, cardProblem) {
    document.getElementById("err-card").textContent = message;
    busy(false, "");
    // Everything else stays as typed: the donor only needs another card.
    if (cardProblem) focusCard();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled || paying) return; // a double tap while we work, or a pay in flight
    clearErrors();
    var data = body();
    var serialised = JSON.stringify(data);
    keyFor(serialised);
    busy(true, M.checking);
    // The payment fields are checked first (Stripe asks for elements.submit() before other
    // work); the donor's details are checked by the server either way, so every problem
    // shows at once.
    var cardProblem = null;
    elements.submit().then(function (checked) {
      cardProblem = checked.error ? (checked.error.message || M.checkCard) : null;
      return createDonation(data, serialised, cardProblem);
    }).then(function (donation) {
      if (donation && cardProblem) { fail(cardProblem, true); return null; }
      return donation;
    }).then(function (donation) {
      if (!donation) return;
      busy(true, M.securing);
      return tokenAndPay(donation, data).then(function (result) {
        if (result.error) {
          fail((result.error.message || M.cardNotAccepted) + " " + M.checkOrTryAnother, true);
          return;
        }
        return settle(donation, result.res);
      });
    }).catch(function () {
      // Before the pay request: nothing was charged (pay() and settle() handle lost answers).
      fail(M.lostConnection);
    });
  });

  // The pay step (issue 14). A slow answer is not a failure: after SLOW_MS the donor is told
  // it is still being taken. An answer that says nothing (lost, 5xx, not JSON) is not a
  // decline: the confirm may have reached Stripe, so settle() reads the gift's own status.
  var SLOW_MS = 8000, STATUS_EVERY_MS = 2000, STATUS_FOR_MS = 45000;
  var STILL_TAKING = M.stillTaking;
  function pay(donation, token) {
    // Our server's answer, or null when none came.
    paying = true;
    busy(true, M.taking);
    var slow = setTimeout(function () { busy(true, STILL_TAKING); }, SLOW_MS);
    var url = "/api/v1/donations/" + donation.id + "/pay/";
    var send = function () {
      return post(url, {confirmation_token: token}).catch(function () { return null; });
    };
    return send().then(function (res) {
      // Shed before any work (nothing ran, the token is unused): sent again once, the same token.
      return shed(res) ? wait((res.retryAfter || 1) * 1000).then(send) : res;
    }).then(function (res) {
      clearTimeout(slow);
      return res;
    });
  }
  function settle(donation, res, onDeclined) {
    var done = unclear(res) ? awaitStatus(donation, onDeclined) :
      Promise.resolve(handlePay(donation, res)).catch(function () { return awaitStatus(donation, onDeclined); });
    return done.then(function () { paying = false; });
  }
  // Read the gift's status (GET /api/v1/donations/<id>/) every STATUS_EVERY_MS: paid → its
  // thanks page; declined → the donor may type another card (same donation, same
  // PaymentIntent); still pending after STATUS_FOR_MS → the thanks page, which keeps waiting.
  // "pending" is not an answer here: it is also the gift's state until the confirm lands.
  // Nor is "failed" on a gift already declined once, until "pending" was seen: the server
  // screens the new card before it moves the gift back to pending, so that "failed" may be
  // the last card's while this one is being charged.
  function awaitStatus(donation, onDeclined) {
    paying = true;
    var retried = !!donation.declined, seenPending = false;
    busy(true, STILL_TAKING);
    var thanks = "/donations/" + donation.id + "/thanks/";
    var until = Date.now() + STATUS_FOR_MS;
    function look() {
      return fetch("/api/v1/donations/" + donation.id + "/", {
        headers: {"Accept": "application/json"}, credentials: "same-origin",
      }).then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; })
        .then(function (gift) {
          var status = gift && gift.status;
          if (status === "pending") seenPending = true;
          if (status === "failed" && (!retried || seenPending)) {
            donation.declined = true;
            if (onDeclined) onDeclined();
            fail(M.declinedTryAnother, true);
            return;
          }
          if ((status && status !== "pending" && status !== "failed") || Date.now() >= until) {
            toThanks(thanks);
            return;
          }
          return wait(STATUS_EVERY_MS).then(look);
        });
    }
    return wait(STATUS_EVERY_MS).then(look);
  }

  // Inside the publisher's widget (an iframe) the thanks page is its framable variant
  // (?embed=1): the gift ends where it began, in the article (docs/publishers.md).
  var IN_EMBED = document.body.classList.contains("embed");
  function toThanks(url) {
    window.location.assign(IN_EMBED ? url + "?embed=1" : url);
  }

  function handlePay(donation, res) {
    var out = res.json;
    if (res.status === 200 && out.status === "succeeded") { toThanks(out.thanks_url); return; }
    if (res.status === 200 && out.status === "pending") { toThanks(out.thanks_url); return; }
    if (res.status === 200 && out.status === "requires_action") {
      busy(true, M.bankConfirm);
      return stripe.handleNextAction({clientSecret: out.client_secret}).then(function (result) {
        var pi = result.paymentIntent;
        if (result.error || !pi || pi.status === "requires_payment_method") {
          donation.declined = true;
          fail(M.bankFailed, true);
          return;
        }
        toThanks(out.thanks_url);
      }, function () { return awaitStatus(donation); });
    }
    if (res.status === 402) {
      donation.declined = true;
      fail((out.message || M.declined) + " " + M.tryAnother, true);
      return;
    }
    fail((out.non_field_errors || [M.somethingWrong]).join(" "));
  }

  /* Wallets (Apple Pay, Google Pay): Stripe's Express Checkout Element above the form, on the
   * same `elements` (so the same amount, currency and payment method types), shown only where
   * the device offers one (docs/card-flow.md, "Express Checkout Element"). The gift is the
   * form's (amount, designation, Gift Aid, fees); the wallet gives the email and name the form
   * lacks, which are written into the form, so a declined wallet leaves the same gift for a card.
   * Then the card's path: create -> token -> pay -> handlePay. */
  var walletBox = document.getElementById("express-checkout-wrap");
  if (walletBox) {
    var wallet = elements.create("expressCheckout", {buttonType: {applePay: "donate", googlePay: "donate"}});
    // No wallet on this device: the box stays hidden, out of sight and of the accessibility
    // tree. Stripe says so in `ready` (availablePaymentMethods, undefined for none) and, in
    // newer Stripe.js, also in `availablepaymentmethodschange` (paymentMethods), which may
    // come again later: the latter may hide the box again, `ready` only shows it.
    wallet.on("ready", function (event) {
      if (event.availablePaymentMethods) walletBox.classList.remove("wallet-pending");
    });
    wallet.on("availablepaymentmethodschange", function (event) {
      walletBox.classList.toggle("wallet-pending", !event.paymentMethods);
    });
    wallet.on("click", function (event) {
      // Stripe wants resolve() within 1 second: only what the page already knows.
      clearErrors();
      if (button.disabled || paying) return; // the card is being paid: no second payment sheet
      if (!selectedMinor()) {
        showErrors({amount: [M.chooseAmount]});
        return; // not resolved: no payment sheet opens for an amount that is not one
      }
      var giftAidTicked = giftAid ? giftAid.checked : false;
      event.resolve({
        emailRequired: !form.email.value.trim(),
        billingAddressRequired: giftAidTicked && !(form.address_line1.value.trim() && form.postcode.value.trim()),
      });
    });
    wallet.on("confirm", function (event) {
      fillFromWallet(event.billingDetails || {});
      var data = body();
      var serialised = JSON.stringify(data);
      keyFor(serialised);
      busy(true, M.checking);
      function refused() { event.paymentFailed({reason: "fail"}); }
      elements.submit().then(function (checked) {
        if (checked.error) { refused(); fail(checked.error.message || M.walletFailed); return null; }
        return createDonation(data, serialised, null);
      }).then(function (donation) {
        if (!donation) { refused(); return; }
        return tokenAndPay(donation, data).then(function (result) {
          if (result.error) {
            refused();
            fail((result.error.message || M.walletCardNotAccepted) + " " + M.tryAnother, true);
            return;
          }
          // No answer: the gift's status decides (settle), and refuses the sheet on a decline.
          var status = result.res && result.res.status === 200 ? result.res.json.status : null;
          if (!unclear(result.res) && status !== "succeeded" && status !== "pending" &&
              status !== "requires_action") refused();
          return settle(donation, result.res, refused); // a decline says so in the form, as a card's
        });
      }).catch(function () {
        refused();
        fail(M.lostConnection);
      });
    });
    wallet.mount("#express-checkout");
  }
  function fillFromWallet(details) {
    // Only what the donor left empty: what they typed is theirs.
    function fill(input, value) { if (input && !input.value.trim() && value) input.value = value; }
    fill(form.email, details.email);
    if (!form.first_name.value.trim() && !form.last_name.value.trim() && details.name) {
      var name = details.name.trim(), space = name.indexOf(" ");
      fill(form.first_name, space > 0 ? name.slice(0, space) : name);
      fill(form.last_name, space > 0 ? name.slice(space + 1).trim() : "");
    }
    if (giftAid && giftAid.checked && details.address) {
      fill(form.address_line1, [details.address.line1, details.address.line2].filter(Boolean).join(", "));
      fill(form.postcode, details.address.postal_code);
    }
  }
})();
