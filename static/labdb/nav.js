// On a phone (a window up to 600 px wide) the catalog navigation folds behind a "Menu"
// button, so the page starts with its content and not with four lines of links (docs/web.md).
// Without this script the navigation stays open: the fold is only made where the button works.
(function () {
  "use strict";
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (!toggle || !nav) return;
  document.documentElement.classList.add("nav-folds");
  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  });
})();
