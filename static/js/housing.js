// Housing forms: show only the fields that apply to the chosen kind of contract or step.
// Without JavaScript every field stays visible, with a hint saying when it applies.
(function () {
  "use strict";
  if (window.terrainHousing) { sync(document); return; }
  window.terrainHousing = true;

  function syncForm(form) {
    var kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    form.querySelectorAll("[data-kind-only]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind-only") !== kind.value;
    });
  }

  function sync(root) {
    root.querySelectorAll("form[data-kind-form]").forEach(syncForm);
  }

  document.addEventListener("change", function (evt) {
    var target = evt.target;
    if (!target.matches || !target.form || !target.form.matches("form[data-kind-form]")) return;
    var form = target.form;
    if (target.name === "unit") {
      // A place in a collective place takes a convention d'occupation; a flat a sub-lease.
      var kind = form.querySelector("select[name=kind]");
      var isPlace = target.value.indexOf("place:") === 0;
      if (kind && isPlace) kind.value = "occupation";
      if (kind && !isPlace && kind.value === "occupation") kind.value = "sous_location";
    }
    syncForm(form);
  });
  document.addEventListener("htmx:load", function (evt) { sync(evt.target); });
  sync(document);
})();
