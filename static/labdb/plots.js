/* labdb plots: each [data-plot-url] element gets its figure (Plotly JSON) from the server.
   Fetches start at once, in page order, a few at a time; rendering waits for Plotly (loaded
   with defer right after this file). Every plot exports PNG and SVG from the mode bar. */
(function () {
  "use strict";
  var CONCURRENCY = 3;
  // This file runs before the deferred Plotly script; DOMContentLoaded fires after it ran.
  var plotlyReady = new Promise(function (resolve) {
    if (window.Plotly || document.readyState === "complete") { resolve(); return; }
    document.addEventListener("DOMContentLoaded", function () { resolve(); });
    window.addEventListener("load", function () { resolve(); });
  });

  function text(message) {
    var p = document.createElement("p");
    p.className = "muted plot-status";
    p.textContent = message;
    return p;
  }

  function config(el) {
    var name = (el.closest("figure") || el).id || "plot";
    return {
      responsive: true,
      displaylogo: false,
      // nothing in the mode bar sends data to an outside service
      showSendToCloud: false,
      showEditInChartStudio: false,
      modeBarButtonsToRemove: ["sendDataToCloud", "editInChartStudio"],
      toImageButtonOptions: { format: "png", filename: name, scale: 2 },
      modeBarButtonsToAdd: [{
        name: "downloadSvg",
        title: "Download plot as SVG",
        icon: window.Plotly.Icons.disk,
        click: function (gd) { window.Plotly.downloadImage(gd, { format: "svg", filename: name }); }
      }]
    };
  }

  function layoutOf(fig) {
    var layout = Object.assign({}, fig.layout);
    layout.title = { text: "" };
    layout.autosize = true;
    layout.height = layout.height || 340;
    layout.margin = Object.assign({ l: 60, r: 50, t: 20, b: 50 }, layout.margin || {});
    layout.font = Object.assign({ size: 12 }, layout.font || {});
    layout.legend = Object.assign({ font: { size: 11 } }, layout.legend || {});
    return layout;
  }

  function render(el, fig) {
    if (fig.empty || !fig.data || !fig.data.length) {
      if (window.Plotly) { window.Plotly.purge(el); }
      el.replaceChildren(text(fig.empty || "No data for this plot."));
      el.dataset.rendered = "empty";
      return Promise.resolve();
    }
    el.replaceChildren();
    return window.Plotly.react(el, fig.data, layoutOf(fig), config(el)).then(function () {
      el.dataset.rendered = "1";
      if (window.labdbFirstPlotAt === undefined) { window.labdbFirstPlotAt = performance.now(); }
    });
  }

  function load(el) {
    var url = el.dataset.plotUrl;
    el.setAttribute("aria-busy", "true");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("the server answered " + r.status); }
        return r.json();
      })
      .then(function (fig) { return plotlyReady.then(function () { return render(el, fig); }); })
      .catch(function (err) {
        el.replaceChildren(text("Could not load this plot: " + err.message));
        el.dataset.rendered = "error";
      })
      .finally(function () { el.removeAttribute("aria-busy"); });
  }

  function queue(elements) {
    var items = Array.prototype.slice.call(elements);
    function next() {
      var el = items.shift();
      return el ? load(el).then(next) : Promise.resolve();
    }
    for (var i = 0; i < CONCURRENCY; i++) { next(); }
  }

  function bindControls(form) {
    var figure = form.closest("figure");
    var el = figure.querySelector("[data-plot-url]");
    var csv = figure.querySelector(".csv-link");
    function update(event) {
      if (event) { event.preventDefault(); }
      var url = new URL(el.dataset.plotUrl, window.location.href);
      new FormData(form).forEach(function (value, key) {
        if (value) { url.searchParams.set(key, value); } else { url.searchParams.delete(key); }
      });
      el.dataset.plotUrl = url.pathname + url.search;
      if (csv) { csv.href = url.pathname.replace(/\.json$/, ".csv") + url.search; }
      figure.querySelectorAll(".figure-link").forEach(function (a) {
        a.href = url.pathname.replace("/plots/", "/figures/").replace(/\.json$/, "." + a.dataset.fmt) + url.search;
      });
      el.replaceChildren(text("Loading…"));
      load(el);
    }
    form.addEventListener("submit", update);
    form.querySelectorAll("select").forEach(function (s) { s.addEventListener("change", update); });
  }

  queue(document.querySelectorAll("[data-plot-url]"));
  document.querySelectorAll("form.plot-controls").forEach(bindControls);
  // live.js: new results were stored; fetch every plot's data again (no page reload)
  document.addEventListener("labdb:refresh-plots", function () {
    var stamp = Date.now();
    document.querySelectorAll("[data-plot-url]").forEach(function (el) {
      el.dataset.refreshedAt = String(stamp);
    });
    queue(document.querySelectorAll("[data-plot-url]"));
  });
})();
