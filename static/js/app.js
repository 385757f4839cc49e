// Terrain page behaviour. Loaded with `defer`; no inline scripts (the CSP forbids them).
(function () {
  "use strict";

  var status = document.getElementById("net-status");

  function showStatus(text) {
    if (!status) return;
    status.textContent = text;
    status.hidden = !text;
  }

  // A network failure fires htmx:sendError (not responseError): say so instead of doing nothing.
  document.addEventListener("htmx:sendError", function () {
    showStatus("Pas de réseau : l'action n'a pas abouti. Réessayez quand la connexion revient.");
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail && evt.detail.successful) showStatus("");
  });
  window.addEventListener("offline", function () { showStatus("Hors connexion."); });
  window.addEventListener("online", function () { showStatus(""); });

  // Read-only fields holding a link select their whole content on focus, ready to copy.
  document.addEventListener("focusin", function (evt) {
    if (evt.target.matches && evt.target.matches("[data-select-on-focus]")) evt.target.select();
  });
})();
