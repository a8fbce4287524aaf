// The token page's "Copy key" button (no inline handlers: the CSP allows scripts from 'self').
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  button.addEventListener("click", function () {
    var source = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copy-status");
    navigator.clipboard.writeText(source.textContent.trim()).then(
      function () { if (status) { status.textContent = "Copied."; } },
      function () { if (status) { status.textContent = "Copy failed: select the key and copy it."; } }
    );
  });
});
