"""The words static/js/donate.js shows, in the page's language.

They travel in the page's JSON form config (`messages`), so the script needs no catalogue of
its own and no inline script (CSP). Keys are the script's names for them.
"""

from django.utils.translation import gettext


def card_field_labels() -> dict[str, str]:
    """The names of the card fields the stand-in's Stripe.js puts bare in the page (real
    Stripe labels its own), for donate.js and card.js alike."""
    return {
        "cardNumber": gettext("Card number"),
        "expMonth": gettext("Expiry month (MM)"),
        "expYear": gettext("Expiry year (YY)"),
        "cvc": gettext("Security code (CVC)"),
        "postcode": gettext("Billing postcode"),
    }


def script_messages() -> dict[str, str]:
    """The donation form script's messages, translated into the active language."""
    return {
        "stripeMissing": gettext(
            "The secure payment fields could not load, so nothing has been sent. Please check "
            "your connection, allow js.stripe.com if a blocker is on, and reload the page."),
        **card_field_labels(),
        "perMonth": gettext(" a month"),
        # {amount} and {day} are filled in by the script; {day} is "7th" in English.
        "monthlySummary": gettext(
            "{amount} today, then {amount} on the {day} of each month, until you cancel."),
        "aLittle": gettext("a little"),
        "checkForm": gettext("Please check the form."),
        "somethingWrong": gettext("Something went wrong. Nothing was charged; please try again."),
        "checking": gettext("Checking your details…"),
        "checkCard": gettext("Please check the card details."),
        "securing": gettext("Securing your card…"),
        "cardNotAccepted": gettext("Your card was not accepted."),
        "checkOrTryAnother": gettext("Nothing was charged; please check the card or try another."),
        "lostConnection": gettext(
            "We lost the connection before your gift was taken. Nothing was charged; please "
            "try again."),
        "stillTaking": gettext("Still taking your gift. Please don't pay again…"),
        "taking": gettext("Taking your gift…"),
        "declinedTryAnother": gettext(
            "Your card was declined. Nothing was charged; please try another card."),
        "bankConfirm": gettext("Your bank wants to confirm it's you…"),
        "bankFailed": gettext(
            "Your bank could not confirm the payment. Nothing was charged; please try again or "
            "use another card."),
        "declined": gettext("Your card was declined."),
        "tryAnother": gettext("Nothing was charged; please try another card."),
        "chooseAmount": gettext("Please choose or type an amount first."),
        "walletFailed": gettext("Your wallet could not pay. Nothing was charged."),
        "walletCardNotAccepted": gettext("Your wallet's card was not accepted."),
    }
