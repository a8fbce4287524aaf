// A wide table that scrolls inside its box (.scroll-x) can be scrolled from the keyboard:
// while its content is wider than the box, the box takes focus (Tab, then the arrow keys)
// and is named after the table's caption or the heading before it. Re-checked on resize, so
// a table that fits (a laptop) stays out of the Tab order and one on a phone joins it.
(function () {
  "use strict";
  function label(box) {
    var caption = box.querySelector("caption");
    if (caption) return caption.textContent.trim();
    var el = box.previousElementSibling;
    while (el && !/^H[1-6]$/.test(el.tagName)) el = el.previousElementSibling;
    return el ? el.textContent.trim() : "table";
  }
  function update() {
    document.querySelectorAll(".scroll-x").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", label(box) + " (scrolls sideways)");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("resize", update);
})();
