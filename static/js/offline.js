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

  // What waits, in words: logbook entries (draft keys "logbook-…") are named as such.
  function showBadge(count, drafts) {
    if (!badge) return;
    var entries = (drafts || []).filter(function (k) {
      return String(k).indexOf("logbook-") === 0;
    }).length;
    var parts = [];
    if (count - entries) parts.push(plural(count - entries, "compte rendu", "comptes rendus"));
    if (entries) parts.push(plural(entries, "entrée du journal", "entrées du journal"));
    badge.hidden = !count;
    badge.textContent = count ? parts.join(" et ") + " en attente d'envoi" : "";
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
      if (state) showBadge(state.count, state.drafts);
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
      showBadge(state.count, state.drafts);
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
    if (data.type === "outbox-count" && String(data.user) === String(user)) {
      showBadge(data.count, data.drafts);
    }
    if (data.type === "outbox-session") {
      showBanner("Session expirée : reconnectez-vous pour envoyer les comptes rendus en attente.");
    }
    if (data.type === "outbox-rejected") {
      refreshCountSoon();
      var open = document.querySelector("[data-outbox-form]");
      if (open && open.querySelector("[data-client-id]").value === data.clientId &&
          open.unlockWithError) {
        open.unlockWithError((data.body && data.body.error) || "Envoi refusé.");
      } else if (open && open.hasAttribute("data-outbox-repeat") && open.sayRefused) {
        open.sayRefused((data.body && data.body.error) || "Envoi refusé.");
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
      // Files are not text: a form sends them through its own outboxFiles() hook.
      if (name !== "csrf_token" && typeof value === "string") pairs.push([name, value]);
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
    // A "repeat" form (a new logbook entry) can be written again and again offline: each
    // submission waits in the outbox under its own draft key, and the form starts afresh.
    var repeat = f.hasAttribute("data-outbox-repeat");
    var idField = f.querySelector("[data-client-id]");
    var status = f.querySelector("[data-draft-status]");
    var notice = document.querySelector("[data-outbox-notice]");

    function say(text, kind) {
      if (!notice) return;
      notice.textContent = text;
      notice.className = "outbox-notice flash flash-" + (kind || "info");
      notice.hidden = !text;
    }

    // An earlier submission of this repeat form was refused while it is open with another one.
    f.sayRefused = function (message) {
      say("Le serveur a refusé une entrée gardée sur le téléphone : " + message +
          " Rouvrez ce formulaire pour la retrouver et la corriger.", "error");
    };

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

    var hadDraft = false;

    // A repeat form's refused entry is put back in the form (text fields; files cannot be
    // read back from the stored body) so that nothing typed is lost: fix it and send again.
    function takeBack(r) {
      var body = String(r.form || "");
      var boundary = /^--([^\r\n]+)/.exec(body);
      var pairs = boundary
        ? new Response(body, { headers: { "Content-Type": "multipart/form-data; boundary=" +
                                          boundary[1] } }).formData().then(function (data) {
            var out = [];
            data.forEach(function (v, k) { if (typeof v === "string") out.push([k, v]); });
            return out;
          })
        : Promise.resolve(Array.from(new URLSearchParams(body)));
      return pairs.then(function (list) {
        restore(f, list);
        idField.value = r.clientId;
        return save();
      }).then(function () {
        return TerrainDB.del("rejected", "u" + user + ":" + r.clientId);
      }).then(function () {
        say("Le serveur a refusé une entrée gardée sur le téléphone : " +
            ((r.body && r.body.error) || "erreur " + r.status) +
            " Elle est remise ci-dessous (sans ses photos) : corrigez puis enregistrez.", "error");
      });
    }

    TerrainDB.get("drafts", key).then(function (draft) {
      if (draft) {
        hadDraft = true;
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
      var takenBack = false;
      (state.rejected || []).forEach(function (r) {
        var mine = f.getAttribute("data-draft-key");
        if (repeat && !hadDraft && !takenBack && String(r.draftKey).indexOf(mine + ":") === 0) {
          takenBack = true;
          takeBack(r).catch(function () {
            say("Le serveur a refusé l'envoi : " + ((r.body && r.body.error) || "erreur " +
                r.status) + " Corrigez puis enregistrez de nouveau.", "error");
          });
          return;
        }
        if (r.draftKey === mine || (repeat && String(r.draftKey).indexOf(mine + ":") === 0)) {
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
        var files = f.outboxFiles ? f.outboxFiles() : [];
        var data = files.length ? new FormData() : new URLSearchParams();
        // No token in the body: the outbox puts a fresh one in the header when it sends.
        serialise(f).forEach(function (p) { data.append(p[0], p[1]); });
        files.forEach(function (file) { data.append(file[0], file[1], file[2]); });
        return fetch(f.action, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "Accept": "application/json", "X-CSRFToken": csrfToken(),
                     "X-Terrain-Outbox": "1", "X-Terrain-User": user,
                     "X-Terrain-Client-Id": idField.value,
                     "X-Terrain-Draft": f.getAttribute("data-draft-key") +
                       (repeat ? ":" + idField.value : "") },
        });
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          if (response.status === 201 || response.status === 200 || response.status === 409) {
            return TerrainDB.del("drafts", key).then(function () {
              window.location.assign(answer.url || f.getAttribute("data-done-url"));
            });
          }
          if (response.status === 202 && repeat) {
            // Safe in the outbox: start a new entry with a new id (the draft is not needed).
            return TerrainDB.del("drafts", key).then(function () {
              f.reset();
              idField.value = self.crypto.randomUUID();
              f.dispatchEvent(new CustomEvent("terrain:outbox-queued", { bubbles: true }));
              if (status) status.textContent = "";
              refreshCount();
              say(answer.reason === "session"
                ? "Entrée gardée sur le téléphone. Session expirée : reconnectez-vous pour l'envoyer."
                : "Entrée gardée sur le téléphone : envoi dès que le réseau revient. " +
                  "Vous pouvez en écrire une autre.", "info");
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

  // ---- revoked device: an admin ended this phone's session, nothing of anyone stays --------
  if (body.hasAttribute("data-wipe-device")) {
    try { window.localStorage.clear(); window.sessionStorage.clear(); } catch (e) { /* private mode */ }
    ask({ type: "wipe" }).then(function () { body.setAttribute("data-wiped", "1"); });
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
