// Push notifications on the settings page: subscribe or unsubscribe this device.
// Hooks on [data-push]; loaded by that page, possibly again after an htmx-boosted swap.
(function () {
  "use strict";
  if (window.terrainPush) {
    window.terrainPush.setup(document);
    return;
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function csrf() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": csrf() },
      body: JSON.stringify(data)
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function deviceName() {
    var ua = navigator.userAgent;
    var os = /iPhone|iPad/.test(ua) ? "iPhone / iPad" : /Android/.test(ua) ? "Android"
      : /Mac/.test(ua) ? "Mac" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
    var browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox"
      : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "navigateur";
    return (os ? os + ", " : "") + browser;
  }

  function setup(root) {
    var box = (root.matches && root.matches("[data-push]")) ? root
      : root.querySelector && root.querySelector("[data-push]");
    if (!box || box.dataset.pushReady) return;
    box.dataset.pushReady = "1";
    var state = box.querySelector("[data-push-state]");
    var on = box.querySelector("[data-push-subscribe]");
    var off = box.querySelector("[data-push-unsubscribe]");
    var unavailable = box.querySelector("[data-push-unavailable]");
    var say = function (text) { state.textContent = text; };
    if (!supported()) return;  // the explanation (iPhone: home screen) stays visible
    unavailable.hidden = true;

    function refresh() {
      return navigator.serviceWorker.ready.then(function (reg) {
        return reg.pushManager.getSubscription();
      }).then(function (sub) {
        on.hidden = !!sub;
        off.hidden = !sub;
        if (Notification.permission === "denied") {
          on.hidden = true;
          say("Les notifications sont bloquées pour Terrain dans les réglages du navigateur.");
        } else if (sub) {
          say("Les notifications sont activées sur cet appareil.");
        } else {
          say("Les notifications ne sont pas activées sur cet appareil.");
        }
      });
    }

    on.addEventListener("click", function () {
      on.disabled = true;
      Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") throw new Error("permission");
        return navigator.serviceWorker.ready;
      }).then(function (reg) {
        return reg.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.publicKey)
        });
      }).then(function (sub) {
        var data = sub.toJSON();
        data.device = deviceName();
        return post(box.dataset.subscribeUrl, data);
      }).then(refresh, function (err) {
        say(String(err && err.message) === "permission"
          ? "Notifications refusées : autorisez-les dans les réglages du navigateur."
          : "L'activation n'a pas abouti (réseau ou service de notification). Réessayez.");
      }).then(function () { on.disabled = false; });
    });

    off.addEventListener("click", function () {
      off.disabled = true;
      navigator.serviceWorker.ready.then(function (reg) {
        return reg.pushManager.getSubscription();
      }).then(function (sub) {
        if (!sub) return null;
        return post(box.dataset.unsubscribeUrl, { endpoint: sub.endpoint })
          .then(function () { return sub.unsubscribe(); });
      }).then(refresh, function () {
        say("La désactivation n'a pas abouti. Réessayez quand le réseau revient.");
      }).then(function () { off.disabled = false; });
    });

    refresh();
  }

  window.terrainPush = { setup: setup };
  setup(document);
  document.addEventListener("htmx:load", function (evt) { setup(evt.target); });
})();
