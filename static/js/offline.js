// Offline support on the page side: service worker registration, the outbox badge, drafts that
// autosave as one types, report submission through the outbox, and clean-up at sign-out.
// Needs terrain-db.js (TerrainDB). Without a service worker, forms post the plain way.
/* global TerrainDB */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;

  var body = document.body;
  var user = body.getAttribute("data-user");
  var badge = document.querySelector("[data-outbox-badge]");
  var banner = document.getElementById("net-status");

  var registration = navigator.serviceWorker.register("/service-worker.js", { scope: "/" })
    .catch(function () { return null; });

  // Ask the active service worker something; null after 8 s, or at once without a worker
  // (navigator.serviceWorker.ready never settles when none is registered).
  function ask(message) {
    var timeout = new Promise(function (resolve) { setTimeout(function () { resolve(null); }, 8000); });
    var answer = registration.then(function (reg) {
      if (!reg) return null;  // no worker could register: nothing to wait for
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      var worker = reg && (navigator.serviceWorker.controller || reg.active);
      if (!worker) return null;
      return new Promise(function (resolve) {
        var channel = new MessageChannel();
        channel.port1.onmessage = function (e) { resolve(e.data); };
        worker.postMessage(message, [channel.port2]);
      });
    });
    return Promise.race([answer, timeout]);
  }

  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (e) { return ""; }
  }

  function plural(n, one, many) { return n + " " + (n > 1 ? many : one); }

  function showBadge(count) {
    if (!badge) return;
    badge.hidden = !count;
    badge.textContent = count ? plural(count, "compte rendu", "comptes rendus") +
      " en attente d'envoi" : "";
  }

  function showBanner(text) {
    if (!banner) return;
    banner.textContent = text;
    banner.hidden = !text;
  }

  // Many deliveries in a row ask for one count, not one each (a count reads the whole queue).
  var countTimer = null;
  function refreshCountSoon() {
    clearTimeout(countTimer);
    countTimer = setTimeout(refreshCount, 400);
  }

  function refreshCount() {
    if (!user) return Promise.resolve(null);
    return ask({ type: "count", user: user }).then(function (state) {
      if (state) showBadge(state.count);
      return state;
    });
  }

  // While reports wait and the phone believes it is online, try again with a growing delay:
  // "online" often fires before the network really carries anything (patchy 4G, captive
  // portals), and a replay that found no network waits for the next trigger otherwise.
  var retryDelay = 3000;
  var retryTimer = null;

  function replay() {
    if (!user) return;
    clearTimeout(retryTimer);
    ask({ type: "replay", user: user }).then(function (state) {
      if (!state || state.error) return;
      showBadge(state.count);
      if (state.count && navigator.onLine) {
        retryTimer = setTimeout(replay, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      } else {
        retryDelay = 3000;
      }
    });
  }

  navigator.serviceWorker.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "outbox-count" && String(data.user) === String(user)) showBadge(data.count);
    if (data.type === "outbox-session") {
      showBanner("Session expirée : reconnectez-vous pour envoyer les comptes rendus en attente.");
    }
    if (data.type === "outbox-rejected") {
      refreshCountSoon();
      var open = document.querySelector("[data-outbox-form]");
      if (open && open.querySelector("[data-client-id]").value === data.clientId &&
          open.unlockWithError) {
        open.unlockWithError((data.body && data.body.error) || "Envoi refusé.");
      }
    }
    if (data.type === "outbox-delivered") {
      refreshCountSoon();
      var form = document.querySelector("[data-outbox-form]");
      if (form && form.querySelector("[data-client-id]").value === data.clientId) {
        window.location.assign((data.body && data.body.url) || form.getAttribute("data-done-url"));
      }
    }
  });

  // Per-page set-up, on first load and on every htmx swap (boosted navigation).
  function find(root, selector) {
    if (!root || !root.querySelector) return null;
    return root.matches && root.matches(selector) ? root : root.querySelector(selector);
  }

  function scan(root) {
    var list = find(root, "[data-offline-urls]");
    if (list && navigator.onLine && !list.dataset.sent) {
      list.dataset.sent = "1";
      ask({ type: "cache-urls", urls: JSON.parse(list.getAttribute("data-offline-urls")) });
    }
    var f = find(root, "[data-outbox-form]");
    if (f && !f.dataset.ready) {
      f.dataset.ready = "1";
      setupForm(f);
    }
    badge = document.querySelector("[data-outbox-badge]");
    refreshCount();
  }

  if (user) {
    ask({ type: "hello", user: user }).then(function () {
      scan(document);
      replay();
    });
    document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
    window.addEventListener("online", replay);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") replay();
    });
  }

  // ---- a report form: drafts, outbox submission ------------------------------------------

  function serialise(f) {
    var pairs = [];
    new FormData(f).forEach(function (value, name) {
      if (name !== "csrf_token") pairs.push([name, String(value)]);
    });
    return pairs;
  }

  function restore(f, pairs) {
    var byName = {};
    pairs.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
    Array.prototype.forEach.call(f.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || !(el.name in byName)) {
        if (el.type === "checkbox" && el.name && !(el.name in byName)) el.checked = false;
        return;
      }
      var values = byName[el.name];
      if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) >= 0;
      else el.value = values[0];
    });
  }

  function setupForm(f) {
    var key = "u" + user + ":" + f.getAttribute("data-draft-key");
    var idField = f.querySelector("[data-client-id]");
    var status = f.querySelector("[data-draft-status]");
    var notice = document.querySelector("[data-outbox-notice]");

    function say(text, kind) {
      if (!notice) return;
      notice.textContent = text;
      notice.className = "outbox-notice flash flash-" + (kind || "info");
      notice.hidden = !text;
    }

    // The outbox came back with a refusal for this form: let the worker fix it and resend.
    f.unlockWithError = function (message) {
      delete f.dataset.locked;
      Array.prototype.forEach.call(f.elements, function (el) { el.disabled = false; });
      TerrainDB.del("rejected", "u" + user + ":" + idField.value);
      say("Le serveur a refusé l'envoi : " + message + " Corrigez puis enregistrez de nouveau.",
          "error");
    };

    function lock(text) {
      f.dataset.locked = "1";  // disabled fields are left out of FormData: no more draft saves
      Array.prototype.forEach.call(f.elements, function (el) { el.disabled = true; });
      say(text, "info");
    }

    function save() {
      if (f.dataset.locked) return Promise.resolve();
      var draft = { pairs: serialise(f), clientId: idField.value, savedAt: Date.now() };
      return TerrainDB.put("drafts", key, draft).then(function () {
        if (status) {
          var t = new Date(draft.savedAt);
          status.textContent = "Brouillon gardé sur le téléphone à " +
            String(t.getHours()).padStart(2, "0") + ":" + String(t.getMinutes()).padStart(2, "0") + ".";
        }
      });
    }

    TerrainDB.get("drafts", key).then(function (draft) {
      if (draft) {
        restore(f, draft.pairs);
        idField.value = draft.clientId;
        if (status) status.textContent = "Brouillon repris depuis le téléphone.";
      } else {
        idField.value = self.crypto.randomUUID();  // one id per report, made when it opens
      }
      return refreshCount();
    }).then(function (state) {
      if (!state) return;
      var waiting = (state.drafts || []).indexOf(f.getAttribute("data-draft-key")) >= 0;
      if (waiting) lock("Enregistré sur le téléphone, envoi dès que le réseau revient.");
      (state.rejected || []).forEach(function (r) {
        if (r.draftKey === f.getAttribute("data-draft-key")) {
          say("Le serveur a refusé l'envoi : " + ((r.body && r.body.error) || "erreur " + r.status) +
              " Corrigez puis enregistrez de nouveau.", "error");
        }
      });
    });

    // Every keystroke is kept at once: a reload or a closed tab right after typing loses nothing.
    f.addEventListener("input", save);
    f.addEventListener("change", save);

    f.addEventListener("submit", function (event) {
      if (!navigator.serviceWorker.controller) return;  // plain POST
      event.preventDefault();
      var written = f.querySelector("[name=written_at]");
      if (written) written.value = new Date().toISOString();
      save().then(function () {
        var data = new URLSearchParams();
        // No token in the body: the outbox puts a fresh one in the header when it sends.
        serialise(f).forEach(function (p) { data.append(p[0], p[1]); });
        return fetch(f.action, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRFToken": csrfToken(),
                     "X-Terrain-Outbox": "1", "X-Terrain-User": user,
                     "X-Terrain-Client-Id": idField.value,
                     "X-Terrain-Draft": f.getAttribute("data-draft-key") },
        });
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.status === 201 || response.status === 200 || response.status === 409) {
            return TerrainDB.del("drafts", key).then(function () {
              window.location.assign(answer.url || f.getAttribute("data-done-url"));
            });
          }
          if (response.status === 202) {
            refreshCount();
            lock(answer.reason === "session"
              ? "Enregistré sur le téléphone. Session expirée : reconnectez-vous pour l'envoyer."
              : "Enregistré sur le téléphone, envoi dès que le réseau revient.");
            return null;
          }
          // Refused: show why, keep everything typed, let the worker fix and send again.
          return TerrainDB.del("rejected", "u" + user + ":" + idField.value).then(function () {
            var details = [];
            Object.keys(answer.errors || {}).forEach(function (name) {
              details = details.concat(answer.errors[name]);
            });
            say((answer.error || "Envoi refusé.") + (details.length ? " " + details.join(" ") : ""),
                "error");
            refreshCount();
          });
        });
      }).catch(function () {
        say("Le compte rendu est gardé sur le téléphone ; l'envoi n'a pas pu commencer.", "error");
      });
    });
  }

  // ---- sign-out: nothing of this person stays on the phone --------------------------------
  document.addEventListener("submit", function (event) {
    var f = event.target;
    if (!f.matches || !f.matches("[data-sign-out]") || !user || f.dataset.confirmed) return;
    event.preventDefault();
    refreshCount().then(function (state) {
      var waiting = state ? state.count : 0;
      if (waiting && !window.confirm(plural(waiting, "compte rendu n'est", "comptes rendus ne sont") +
          " pas encore envoyé" + (waiting > 1 ? "s" : "") +
          ". Se déconnecter le" + (waiting > 1 ? "s" : "") + " supprimera de ce téléphone. Continuer ?")) {
        replay();
        return;
      }
      return ask({ type: "sign-out", user: user }).then(function () {
        try { window.localStorage.clear(); window.sessionStorage.clear(); } catch (e) { /* private mode */ }
        f.dataset.confirmed = "1";
        f.submit();
      });
    });
  });
})();
