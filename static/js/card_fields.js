/* The card fields' names. Real Stripe.js labels its fields inside its own iframe; the
 * stand-in's fake one puts bare inputs in our page: name them in the page's language (the
 * words come from pages/script_messages.py through the page's config), so every donor (and
 * axe) knows what each one is. Used by donate.js (the donation form) and card.js (a monthly
 * gift's new card). */
window.lifelineLabelCardInputs = function (words) {
  "use strict";
  var names = {number: [words.cardNumber, "cc-number"], exp_month: [words.expMonth, "cc-exp-month"],
    exp_year: [words.expYear, "cc-exp-year"], cvc: [words.cvc, "cc-csc"],
    postal_code: [words.postcode, "postal-code"]};
  document.querySelectorAll("#card-element input[placeholder]").forEach(function (input) {
    var n = names[input.getAttribute("placeholder")];
    if (!n) return;
    input.setAttribute("aria-label", n[0]);
    input.setAttribute("autocomplete", n[1]);
    if (n[1] !== "postal-code") input.setAttribute("inputmode", "numeric");
  });
};
