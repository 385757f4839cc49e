// Relogement forms: show a field only when the choice it depends on is made (the refusal
// reason for a refused proposal, the new address for a rehoused household…).
// Declared on the element: data-show-when="answer:refusee" or "outcome:reloge,autre".
// Without JavaScript every field stays visible, with a hint saying when it applies.
(function () {
  "use strict";
  if (window.terrainRelogement) { sync(document); return; }
  window.terrainRelogement = true;

  function applies(el) {
    var rule = el.getAttribute("data-show-when").split(":");
    var form = el.closest("form");
    var input = form && form.querySelector("[name='" + rule[0] + "']");
    if (!input) return true;
    // A field with an error stays visible whatever the choice.
    if (el.querySelector("[aria-invalid='true']")) return true;
    return rule[1].split(",").indexOf(input.value) !== -1;
  }

  function sync(root) {
    root.querySelectorAll("[data-show-when]").forEach(function (el) {
      el.hidden = !applies(el);
    });
  }

  document.addEventListener("change", function (evt) {
    if (evt.target.form) sync(evt.target.form);
  });
  document.addEventListener("htmx:load", function (evt) { sync(evt.target); });
  sync(document);
})();
