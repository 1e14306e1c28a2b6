/* What the stand-in's fake Stripe.js lacks, appended to localstripe's localstripe-v3.js by
 * scripts/stripe_standin.py (the same script: LOCALSTRIPE_BASE_API, Element and openModal
 * are localstripe's). Only the subset of Stripe.js that Lifeline's page uses, for Stripe's
 * "finalize payments on the server" flow:
 *
 *   stripe.elements({mode: "payment", amount, currency, paymentMethodTypes})
 *   elements.create("payment").mount(el)  - plain inputs for number, exp_month, exp_year (2
 *                                           digits), cvc and postal_code in the page itself
 *   elements.update({amount}), elements.submit()
 *   stripe.createConfirmationToken({elements, params: {payment_method_data}})
 *   stripe.handleNextAction({clientSecret})  - the in-page "3D Secure" box, once
 *
 * docs/card-flow.md says where this differs from Stripe.js.
 */
(function () {
  const localStripe = Stripe;

  async function call(path, body) {
    try {
      const response = await fetch(`${LOCALSTRIPE_BASE_API}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      const res = await response.json().catch(() => ({}));
      if (response.status !== 200 || res.error) {
        return {error: res.error || {message: 'Bad request'}};
      }
      return {result: res};
    } catch (err) {
      return {error: {type: 'api_connection_error', message: String(err)}};
    }
  }

  function complete(element) {
    const value = element && element.value;
    if (!value) return false;
    const card = value.card;
    return card.number.length >= 12 && card.exp_month.length >= 1 &&
           card.exp_year.length === 4 && card.cvc.length >= 3;
  }

  Stripe = function (apiKey, options) {
    const stripe = localStripe(apiKey, options);

    stripe.elements = function (elementsOptions) {
      const elements = {
        _cardElement: null,
        _options: Object.assign({}, elementsOptions || {}),
        create: function (type, createOptions) {
          if (this._cardElement) {
            throw new Error('localstripe: one Payment Element per Elements group');
          }
          this._cardElement = new Element(this);
          this._cardElement.type = type;
          return this._cardElement;
        },
        getElement: function () {
          return this._cardElement;
        },
        update: function (changes) {
          Object.assign(this._options, changes || {});
        },
        submit: async function () {
          if (!complete(this._cardElement)) {
            return {error: {type: 'validation_error', code: 'incomplete_number',
                            message: 'Your card details are incomplete.'}};
          }
          this._submitted = true;
          return {};
        },
      };
      return elements;
    };

    stripe.createConfirmationToken = async function ({elements, params}) {
      if (!elements || !elements._submitted) {
        return {error: {type: 'integration_error',
                        message: 'elements.submit() must be called first.'}};
      }
      const element = elements._cardElement;
      const data = Object.assign({}, (params && params.payment_method_data) || {});
      const billing = Object.assign({}, data.billing_details || {});
      billing.address = Object.assign({}, billing.address || {},
                                      {postal_code: element.value.postal_code});
      const {result, error} = await call('/v1/confirmation_tokens', {
        key: apiKey,
        payment_method_data: Object.assign(data, {
          type: 'card', card: element.value.card, billing_details: billing,
        }),
      });
      return error ? {error} : {confirmationToken: result};
    };

    stripe.handleNextAction = async function ({clientSecret}) {
      const success = await openModal('3D Secure\nDo you want to confirm or cancel?',
                                      'Complete authentication', 'Fail authentication');
      const pi = clientSecret.match(/^(pi_\w+)_secret_/)[1];
      const {result, error} = await call(
        `/v1/payment_intents/${pi}/_authenticate?success=${success}`,
        {key: apiKey, client_secret: clientSecret});
      if (error) return {error};
      if (result.status === 'requires_payment_method') {
        return {error: {type: 'card_error', code: 'payment_intent_authentication_failure',
                        message: 'We are unable to authenticate your payment method.',
                        payment_intent: result}};
      }
      return {paymentIntent: result};
    };

    return stripe;
  };
})();
