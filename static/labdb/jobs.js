/* Live job status: polls /jobs/status.json for every unfinished job on the page and updates
   its status and progress bar; a job's own page reloads once its job has finished. */
(function () {
  "use strict";
  var INTERVAL_MS = 1000;
  var timer = null;

  function pending() {
    return Array.prototype.slice.call(document.querySelectorAll('.job-state[data-finished="0"]'));
  }

  function apply(job) {
    document.querySelectorAll('.job-state[data-job-id="' + job.id + '"]').forEach(function (el) {
      var status = el.querySelector('[data-role="status"]');
      status.textContent = job.status;
      status.className = "status status-" + job.status;
      el.querySelector("progress").value = job.progress;
      if (job.finished) {
        el.dataset.finished = "1";
        var row = el.closest("tr");
        var error = row ? row.querySelector('[data-role="error"]') : document.querySelector(".job-error");
        if (error && job.error) { error.textContent = job.error; }
        if (document.querySelector(".job-error") && !row) { window.location.reload(); }
      }
    });
  }

  function poll() {
    var ids = pending().map(function (el) { return el.dataset.jobId; });
    if (!ids.length) { timer = null; return; }
    fetch("/jobs/status.json?ids=" + encodeURIComponent(ids.join(",")), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : { jobs: [] }; })
      .then(function (body) { body.jobs.forEach(apply); })
      .catch(function () { /* a missed poll is retried */ })
      .finally(function () { timer = window.setTimeout(poll, INTERVAL_MS); });
  }

  function watch() { if (timer === null) { timer = window.setTimeout(poll, 200); } }
  window.labdbJobs = { watch: watch };
  watch();
})();
