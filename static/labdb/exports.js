/* An export's page follows its job: polls /exports/<id>/status.json every second until the
   export has finished, updating status, progress and stage, then reloads the page once so that
   the download link (or the reason it failed) and the provenance appear. */
(function () {
  "use strict";
  var INTERVAL_MS = 1000;
  var box = document.querySelector('.export-state[data-finished="0"]');
  if (!box) { return; }
  var id = box.dataset.exportId;

  function apply(job) {
    var status = box.querySelector('[data-role="status"]');
    status.textContent = job.status;
    status.className = "status status-" + job.status;
    box.querySelector("progress").value = job.progress;
    box.querySelector('[data-role="stage"]').textContent = job.stage;
    if (job.finished) {
      box.dataset.finished = "1";
      window.location.reload();
      return false;
    }
    return true;
  }

  function poll() {
    fetch("/exports/" + encodeURIComponent(id) + "/status.json", {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) { return job === null ? true : apply(job); })
      .catch(function () { return true; /* a missed poll is retried */ })
      .then(function (again) { if (again) { window.setTimeout(poll, INTERVAL_MS); } });
  }

  window.setTimeout(poll, 300);
})();
