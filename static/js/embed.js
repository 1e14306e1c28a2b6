/* The widget tells the publisher's page how tall it is, so the iframe fits it (the snippet
 * listens for {lifeline: "resize", height}). The height is all it says: nothing private. */
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function tell() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({lifeline: "resize", height: height}, "*");
    }
  }
  if (window.ResizeObserver) new ResizeObserver(tell).observe(document.documentElement);
  window.addEventListener("load", tell);
  tell();
})();
