/* Upload with drag and drop and a progress bar (XMLHttpRequest upload progress); the answer
   names the stored file and its analysis job, whose status is then followed live. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var input = document.getElementById("upload-file");
  var zone = document.getElementById("dropzone");
  var chosen = document.getElementById("upload-chosen");
  var box = document.getElementById("upload-progress-box");
  var bar = document.getElementById("upload-progress");
  var percent = document.getElementById("upload-percent");
  var result = document.getElementById("upload-result");

  function showChosen() {
    chosen.textContent = input.files.length ? "Chosen: " + input.files[0].name + " (" + input.files[0].size + " bytes)" : "";
  }
  input.addEventListener("change", showChosen);
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; showChosen(); }
  });

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function showResult(body) {
    result.replaceChildren();
    var p = el("p", (body.created ? "Stored " : "Already on this run: ") + body.name + " on " + body.test_run + ". ");
    if (body.job) {
      p.appendChild(el("a", body.job.kind + " job", { href: body.job.url, "data-testid": "upload-job-link" }));
      var state = el("span", "", { "class": "job-state", "data-job-id": body.job.id, "data-finished": ["succeeded", "failed"].indexOf(body.job.status) >= 0 ? "1" : "0" });
      state.appendChild(el("span", body.job.status, { "class": "status status-" + body.job.status, "data-role": "status" }));
      var prog = el("progress", "", { max: "1", "aria-label": "analysis progress" });
      prog.value = body.job.progress;
      state.appendChild(prog);
      p.appendChild(document.createTextNode(" "));
      p.appendChild(state);
      if (body.job.error) { result.appendChild(el("p", body.job.error, { "class": "error" })); }
      if (window.labdbJobs) { window.labdbJobs.watch(); }
    }
    result.prepend(p);
    result.appendChild(el("p", "", {})).appendChild(el("a", "Watch it on the jobs page", { href: "/jobs/" }));
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!form.reportValidity()) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    box.hidden = false;
    bar.value = 0;
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) {
        bar.value = Math.round(100 * ev.loaded / ev.total);
        percent.textContent = bar.value + " %";
      }
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = { error: "unexpected answer (" + xhr.status + ")" }; }
      if (xhr.status >= 400) {
        result.replaceChildren(el("p", body.error || "upload failed", { "class": "error", role: "alert" }));
        return;
      }
      bar.value = 100;
      percent.textContent = "100 %";
      showResult(body);
    });
    xhr.addEventListener("error", function () {
      result.replaceChildren(el("p", "The upload was interrupted; try again.", { "class": "error", role: "alert" }));
    });
    xhr.send(new FormData(form));
  });
})();
