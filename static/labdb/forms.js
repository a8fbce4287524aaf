/* Catalog forms (static file, no inline script: the pages run under a Content-Security-Policy).
   - A lot form shows only the chosen material's category's properties; the others are hidden
     and disabled, so they are not sent.
   - Formsets (formulation components, batch steps) add and remove rows in the page: a new row
     is the formset's empty form with its index; a removed row ticks Django's DELETE box.
   - Components show a live wt% total; saving is held while it is off 100 wt% by more than the
     tolerance the server states (data-wt-tolerance). The server checks the same rule. */
(function () {
  "use strict";

  function lotProperties(form) {
    var material = form.querySelector("select[data-lot-material]");
    if (!material) { return; }
    function update() {
      var option = material.options[material.selectedIndex];
      var category = option ? option.getAttribute("data-category") : null;
      form.querySelectorAll("[data-lot-categories]").forEach(function (input) {
        var wrapper = input.closest(".field") || input;
        var show = !!category && input.getAttribute("data-lot-categories").split(" ").indexOf(category) >= 0;
        if (!show && wrapper.classList.contains("has-error")) { show = true; }
        wrapper.hidden = !show;
        input.disabled = !show;
      });
    }
    material.addEventListener("change", update);
    update();
  }

  function formset(fieldset) {
    var prefix = fieldset.getAttribute("data-formset");
    var rows = fieldset.querySelector("[data-formset-rows]");
    var template = fieldset.querySelector("template[data-formset-empty]");
    var total = fieldset.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var addButton = fieldset.querySelector("[data-formset-add]");
    var output = fieldset.querySelector("[data-wt-total]");
    var tolerance = parseFloat(fieldset.getAttribute("data-wt-tolerance"));
    var help = fieldset.querySelector("[data-no-script-help]");
    if (help) { help.hidden = true; }
    fieldset.classList.add("scripted");

    function isRemoved(row) {
      var box = row.querySelector("td.delete input[type=checkbox]");
      return row.hidden || (box && box.checked);
    }

    function wtTotal() {
      var sum = 0;
      var count = 0;
      rows.querySelectorAll("[data-formset-row]").forEach(function (row) {
        if (isRemoved(row)) { return; }
        var input = row.querySelector("input[data-wt-fraction]");
        if (!input || input.value.trim() === "") { return; }
        var value = parseFloat(input.value);
        if (isNaN(value)) { return; }
        sum += value;
        count += 1;
      });
      return { sum: sum, count: count, ok: count > 0 && Math.abs(sum - 100) <= tolerance };
    }

    function showTotal() {
      if (!output) { return; }
      var t = wtTotal();
      var shown = Math.round(t.sum * 10000) / 10000;
      output.textContent = "Total: " + shown + " wt% " + (t.ok
        ? "(sums to 100 wt% within " + tolerance + ")"
        : "(must be 100 wt% within " + tolerance + "; " + (t.count ? "off by " + Math.round((t.sum - 100) * 10000) / 10000 + " wt%" : "no component yet") + ")");
      output.classList.toggle("total-ok", t.ok);
      output.classList.toggle("total-off", !t.ok);
      output.setAttribute("data-total", String(shown));
    }

    function addRemoveButton(row) {
      var cell = row.querySelector("td.delete");
      if (!cell || cell.querySelector("button")) { return; }
      var box = cell.querySelector("input[type=checkbox]");
      if (box) { box.hidden = true; }
      if (box && box.checked) { row.hidden = true; }  // removed before a refused save
      var label = cell.querySelector("label");
      if (label) { label.hidden = true; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "row-remove";
      button.textContent = "Remove";
      button.setAttribute("data-formset-remove", "");
      cell.appendChild(button);
    }

    function addRow() {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      var body = document.createElement("tbody");
      body.innerHTML = html;
      var row = body.querySelector("tr");
      rows.appendChild(row);
      total.value = String(index + 1);
      addRemoveButton(row);
      var first = row.querySelector("select, input:not([type=hidden])");
      if (first) { first.focus(); }
      showTotal();
    }

    rows.querySelectorAll("[data-formset-row]").forEach(addRemoveButton);
    rows.addEventListener("click", function (e) {
      var button = e.target.closest("[data-formset-remove]");
      if (!button) { return; }
      var row = button.closest("tr");
      var box = row.querySelector("td.delete input[type=checkbox]");
      if (box) { box.checked = true; }
      row.hidden = true;
      showTotal();
      if (addButton) { addButton.focus(); }
    });
    rows.addEventListener("input", showTotal);
    rows.addEventListener("change", showTotal);
    if (addButton && template && total) {
      addButton.hidden = false;
      addButton.addEventListener("click", addRow);
    }
    showTotal();

    var form = fieldset.closest("form");
    if (output && form) {
      form.addEventListener("submit", function (e) {
        var t = wtTotal();
        if (t.ok) { return; }
        e.preventDefault();
        showTotal();
        output.setAttribute("role", "alert");
        output.focus();
      });
    }
  }

  document.querySelectorAll("form[data-record-form]").forEach(lotProperties);
  document.querySelectorAll("fieldset[data-formset]").forEach(formset);
})();
