/* While the gift is pending, or its receipt not yet issued, look again every few seconds. */
(function () {
  "use strict";
  var section = document.querySelector("[data-donation]");
  if (!section) return;
  var tries = 0;
  function poll() {
    tries += 1;
    fetch("/api/v1/donations/" + section.dataset.donation + "/", {headers: {Accept: "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.status !== section.dataset.status || (d.receipt_number && tries < 40)) {
          window.location.reload();
        } else if (tries < 40) {
          setTimeout(poll, 3000);
        }
      })
      .catch(function () { if (tries < 40) setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
