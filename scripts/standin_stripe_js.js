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
 *   stripe.handleNextAction({clientSecret})  - the in-page "3D Secure" box, once (a
 *                                              PaymentIntent's or a SetupIntent's)
 *   elements.create("expressCheckout").mount(el) - a wallet only when the page's URL asks for
 *       one: ?standin_wallet=1 (the card 4242 4242 4242 4242) or ?standin_wallet=<test card
 *       number> (e.g. 4000000000000341, declined). Its button "Test wallet (stand-in)" fires
 *       `click` (with resolve), then `confirm` with a fixed test person's billingDetails; the
 *       next elements.submit() and createConfirmationToken use the wallet's card. Without the
 *       flag: no button, and `ready` with availablePaymentMethods undefined.
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

  // The test wallet: who pays, and with which card (the page URL's ?standin_wallet=).
  const WALLET_PERSON = {name: 'Wanda Wallet', email: 'wanda.wallet@example.com'};
  const WALLET_ADDRESS = {line1: '1 Wallet Street', line2: null, city: 'London', state: '',
                          postal_code: 'SW1A 1AA', country: 'GB'};

  function walletCard() {
    const flag = new URLSearchParams(window.location.search).get('standin_wallet');
    if (!flag) return null;
    const number = /^[0-9]{12,19}$/.test(flag) ? flag : '4242424242424242';
    return {number: number, exp_month: '12', exp_year: '2034', cvc: '123'};
  }

  class ExpressCheckout {
    constructor(elements, options) {
      this._elements = elements;
      this._options = Object.assign({}, options || {});
      this.listeners = {};
      this._box = null;
    }

    on(event, handler) {
      (this.listeners[event] = this.listeners[event] || []).push(handler);
      return this;
    }

    _emit(event, payload) {
      (this.listeners[event] || []).forEach(handler => handler(payload));
    }

    update(options) {
      Object.assign(this._options, options || {});
      return this;
    }

    mount(domElement) {
      if (typeof domElement === 'string') domElement = document.querySelector(domElement);
      const card = walletCard();
      if (card) {
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'Test wallet (stand-in)';
        button.addEventListener('click', () => this._pay(card));
        domElement.appendChild(button);
        this._box = button;
      }
      // As Stripe.js: `ready` after mounting, availablePaymentMethods undefined when no
      // button will show; and `availablepaymentmethodschange`, which also fires on the first
      // render, with paymentMethods ({name: {available}}) or undefined likewise.
      setTimeout(() => {
        this._emit('ready', {
          elementType: 'expressCheckout',
          availablePaymentMethods: card ? {applePay: false, googlePay: true, link: false,
                                           paypal: false, amazonPay: false, klarna: false}
                                        : undefined,
        });
        this._emit('availablepaymentmethodschange', {
          elementType: 'expressCheckout',
          paymentMethods: card ? {googlePay: {available: true}} : undefined,
        });
      }, 0);
    }

    unmount() {
      if (this._box) this._box.remove();
      this._box = null;
    }

    destroy() {
      this.unmount();
      this._elements._expressCheckout = null;
    }

    async _pay(card) {
      // `click`: the page must call resolve() within 1 second, or no payment sheet opens.
      let resolved = null;
      const clicked = new Promise(done => {
        const timer = setTimeout(() => done(null), 1000);
        const payload = {elementType: 'expressCheckout', expressPaymentType: 'google_pay',
                         resolve: details => { clearTimeout(timer); done(details || {}); }};
        if (!(this.listeners.click || []).length) { clearTimeout(timer); done({}); return; }
        this._emit('click', payload);
      });
      resolved = await clicked;
      if (resolved === null) {
        console.warn('localstripe: click not resolved within 1 second; no payment sheet');
        return;
      }
      // The donor authorises in the wallet's sheet (none here): `confirm` with what the page
      // asked for. The wallet's card is the next token's, until paymentFailed() or the token.
      const billing = {name: WALLET_PERSON.name};
      if (resolved.emailRequired) billing.email = WALLET_PERSON.email;
      if (resolved.billingAddressRequired) billing.address = Object.assign({}, WALLET_ADDRESS);
      this._elements._wallet = {card: card, billing: billing};
      this._emit('confirm', {
        elementType: 'expressCheckout',
        expressPaymentType: 'google_pay',
        billingDetails: billing,
        paymentFailed: () => { this._elements._wallet = null; },
      });
    }
  }

  Stripe = function (apiKey, options) {
    const stripe = localStripe(apiKey, options);

    stripe.elements = function (elementsOptions) {
      const elements = {
        _cardElement: null,
        _options: Object.assign({}, elementsOptions || {}),
        _expressCheckout: null,
        _wallet: null, // {card, billing} from a wallet's `confirm` until used or failed
        create: function (type, createOptions) {
          if (type === 'expressCheckout') {
            if (this._expressCheckout) {
              throw new Error('localstripe: one Express Checkout Element per Elements group');
            }
            this._expressCheckout = new ExpressCheckout(this, createOptions);
            return this._expressCheckout;
          }
          if (this._cardElement) {
            throw new Error('localstripe: one Payment Element per Elements group');
          }
          this._cardElement = new Element(this);
          this._cardElement.type = type;
          return this._cardElement;
        },
        getElement: function (type) {
          return type === 'expressCheckout' ? this._expressCheckout : this._cardElement;
        },
        update: function (changes) {
          Object.assign(this._options, changes || {});
        },
        submit: async function () {
          if (this._wallet) {  // in a wallet's `confirm`: the wallet's card is complete
            this._submitted = true;
            return {};
          }
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
      const wallet = elements._wallet;
      elements._wallet = null; // one token per wallet authorisation
      const data = Object.assign({}, (params && params.payment_method_data) || {});
      // Stripe.js merges the page's payment_method_data with what Elements collected.
      const billing = Object.assign({}, wallet ? wallet.billing : {}, data.billing_details || {});
      const postalCode = wallet ? (wallet.billing.address || {}).postal_code
                                : elements._cardElement.value.postal_code;
      billing.address = Object.assign({}, billing.address || {},
                                      postalCode ? {postal_code: postalCode} : {});
      const card = wallet ? wallet.card : elements._cardElement.value.card;
      const {result, error} = await call('/v1/confirmation_tokens', {
        key: apiKey,
        payment_method_data: Object.assign(data, {
          type: 'card', card: card, billing_details: billing,
        }),
      });
      return error ? {error} : {confirmationToken: result};
    };

    stripe.handleNextAction = async function ({clientSecret}) {
      const success = await openModal('3D Secure\nDo you want to confirm or cancel?',
                                      'Complete authentication', 'Fail authentication');
      const setup = clientSecret.match(/^(seti_\w+)_secret_/);
      if (setup) {  // a SetupIntent (a saved card): confirmed, or canceled if the check failed
        const {result, error} = await call(
          `/v1/setup_intents/${setup[1]}/${success ? 'confirm' : 'cancel'}`,
          {key: apiKey, client_secret: clientSecret, use_stripe_sdk: true});
        if (error) return {error};
        if (result.status !== 'succeeded') {
          return {error: {type: 'card_error', code: 'setup_intent_authentication_failure',
                          message: 'We are unable to authenticate your payment method.',
                          setup_intent: result}};
        }
        return {setupIntent: result};
      }
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
