/* labdb live cell page: while a test runs, ask the server every few seconds for the version of
   the newest stored results (a small JSON); when it changes, every plot fetches its stored data
   again (plots.js listens for "labdb:refresh-plots") and the page's numbers ([data-live-swap]
   elements, by id) are replaced by those of a fresh copy of the page, without reloading it. */
(function () {
  "use strict";
  var box = document.querySelector("[data-live-url]");
  if (!box) { return; }
  var url = box.dataset.liveUrl;
  var interval = parseInt(box.dataset.liveInterval, 10) || 15000;
  var version = box.dataset.liveVersion || "";
  var text = box.querySelector("[data-live-text]");
  var last = box.querySelector("[data-live-last]");
  var busy = false;

  function show(state) {
    if (text && state.status) { text.textContent = state.status.charAt(0).toUpperCase() + state.status.slice(1); }
    if (last && state.last_data_text) {
      last.textContent = state.last_data_text;
      last.setAttribute("datetime", state.last_data_at);
    }
  }

  function swapNumbers() {
    return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-swap][id]").forEach(function (el) {
          var next = fresh.getElementById(el.id);
          if (next) { el.replaceWith(document.importNode(next, true)); }
        });
      })
      .catch(function () { /* the numbers are updated at the next change */ });
  }

  function poll() {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (state) {
        show(state);
        if (state.version !== version) {
          version = state.version;
          box.dataset.liveVersion = version;
          document.dispatchEvent(new CustomEvent("labdb:refresh-plots", { detail: state }));
          swapNumbers();
        }
        if (!state.running) { window.clearInterval(timer); }
      })
      .catch(function () { /* a missed poll is tried again at the next tick */ })
      .finally(function () { busy = false; });
  }

  var timer = window.setInterval(poll, interval);
})();
