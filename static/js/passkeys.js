// Passkeys: create one from "Mes clés d'accès", sign in with one (button or browser autofill).
// Hooks on data-passkey-* attributes; uses the vendored @simplewebauthn/browser (window.
// SimpleWebAuthnBrowser) for the base64url encoding and the browser's error quirks.
// Loaded by the pages that need it, possibly again after an htmx-boosted swap: set up once.
(function () {
  "use strict";
  if (window.terrainPasskeys) {
    window.terrainPasskeys.setup(document);
    return;
  }

  var MESSAGES = {
    unsupported: "Ce navigateur ne permet pas les clés d'accès. Utilisez votre mot de passe, " +
      "ou un navigateur récent (Chrome, Safari, Firefox, Edge) sur votre téléphone.",
    cancelled: "Opération annulée, ou délai dépassé. Vous pouvez réessayer, ou utiliser " +
      "votre mot de passe.",
    cancelledRegister: "Création annulée, ou délai dépassé. Vous pouvez réessayer quand " +
      "vous voulez.",
    already: "Cet appareil a déjà une clé d'accès pour votre compte : elle figure dans la liste.",
    incapable: "Cet appareil ne sait pas créer une clé d'accès protégée par empreinte, visage " +
      "ou code. Essayez avec votre téléphone.",
    domain: "Les clés d'accès demandent une adresse avec un nom (par exemple " +
      "http://localhost:5000), pas une adresse IP.",
    network: "Pas de réseau : la demande n'a pas abouti. Réessayez quand la connexion revient.",
    failed: "La clé d'accès n'a pas fonctionné. Réessayez, ou connectez-vous avec votre " +
      "mot de passe.",
    failedRegister: "La clé d'accès n'a pas pu être créée. Réessayez.",
    name: "Donnez un nom à cette clé d'accès, par exemple « Téléphone pro »."
  };

  function lib() { return window.SimpleWebAuthnBrowser; }

  // The vendored library is a separate script; after an htmx swap the two may load in any order.
  function whenLib(callback) {
    if (lib()) { callback(); return; }
    var tag = document.querySelector("script[data-webauthn-lib]");
    if (tag) tag.addEventListener("load", function () { if (lib()) callback(); }, { once: true });
  }

  function supported() { return !!(lib() && lib().browserSupportsWebAuthn()); }

  function csrfToken(scope) {
    var input = scope.querySelector("input[name=csrf_token]") ||
      document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  // POST a form-encoded body, expect JSON back; rejects with an Error whose message is French.
  function fetchOptions(url, scope, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(scope), "Accept": "application/json" },
      body: body || new URLSearchParams()
    }).catch(function () {
      var err = new Error(MESSAGES.network);
      err.french = true;
      throw err;
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var err = new Error(data.error || MESSAGES.failed);
          err.french = true;
          err.status = response.status;
          err.field = data.field;
          throw err;
        }
        return data;
      });
    });
  }

  // A French sentence for a browser or library error; null when nothing should be said.
  function describe(err, registering) {
    if (!err) return MESSAGES.failed;
    if (err.french) return err.message;
    if (err.code === "ERROR_CEREMONY_ABORTED" || err.name === "AbortError") return null;
    if (!supported()) return MESSAGES.unsupported;
    switch (err.code) {
      case "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED": return MESSAGES.already;
      case "ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT":
      case "ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT":
      case "ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG": return MESSAGES.incapable;
      case "ERROR_INVALID_DOMAIN":
      case "ERROR_INVALID_RP_ID": return MESSAGES.domain;
    }
    if (err.name === "NotAllowedError") {
      return registering ? MESSAGES.cancelledRegister : MESSAGES.cancelled;
    }
    if (err.name === "InvalidStateError") return MESSAGES.already;
    if (err.name === "NotSupportedError") return MESSAGES.unsupported;
    if (err.name === "SecurityError") return MESSAGES.domain;
    return registering ? MESSAGES.failedRegister : MESSAGES.failed;
  }

  // An error next to its field, as the server renders it (templates/_macros/forms.html).
  function fieldError(input, text) {
    var wrapper = input.closest(".field");
    var id = input.id + "-error";
    var note = document.getElementById(id);
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (x) {
      return x && x !== id;
    });
    if (!text) {
      if (note) note.remove();
      input.removeAttribute("aria-invalid");
      if (wrapper) wrapper.classList.remove("field-error");
    } else {
      if (!note) {
        note = document.createElement("p");
        note.className = "error";
        note.id = id;
        input.insertAdjacentElement("afterend", note);
      }
      note.textContent = text;
      described.push(id);
      input.setAttribute("aria-invalid", "true");
      if (wrapper) wrapper.classList.add("field-error");
    }
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function show(el, text) {
    if (!el) return;
    el.textContent = text || "";
    el.hidden = !text;
  }

  // The server no longer knows this passkey (removed, or reset by an admin): ask the browser's
  // password manager to stop offering it (WebAuthn Signal API; silently skipped elsewhere).
  function forgetUnknown(box) {
    var id = box.getAttribute("data-forget-credential");
    var rpId = box.getAttribute("data-forget-rp-id");
    var PKC = window.PublicKeyCredential;
    if (!id || !rpId || !PKC || typeof PKC.signalUnknownCredential !== "function") return;
    PKC.signalUnknownCredential({ rpId: rpId, credentialId: id }).catch(function () {});
  }

  // ---- sign-in page -------------------------------------------------------------------------
  function setupSignIn(box) {
    var form = box.querySelector("form[data-passkey-login-form]");
    var errorEl = document.querySelector("[data-passkey-error]");
    var unsupportedEl = document.querySelector("[data-passkey-unsupported]");
    var url = box.getAttribute("data-options-url");
    var busy = false;

    function finish(response) {
      form.querySelector("input[name=credential]").value = JSON.stringify(response);
      form.submit();  // a plain navigation: the server answers with the home page or the reason
    }

    function conditional() {
      lib().browserSupportsWebAuthnAutofill().then(function (ok) {
        if (!ok || !document.querySelector("input[autocomplete$='webauthn']")) return;
        fetchOptions(url, form).then(function (options) {
          return lib().startAuthentication({ optionsJSON: options, useBrowserAutofill: true });
        }).then(finish, function (err) {
          if (err && err.status === 400) {  // the server cannot do passkeys here (IP address)
            box.hidden = true;
            show(unsupportedEl, err.message);
            return;
          }
          var text = describe(err, false);
          // Autofill waits silently; only speak up when the person did pick a passkey.
          if (text && err && err.name !== "NotAllowedError") show(errorEl, text);
        });
      });
    }

    if (!supported()) {
      box.hidden = true;
      show(unsupportedEl, MESSAGES.unsupported);
      return;
    }
    box.hidden = false;
    forgetUnknown(box);
    form.addEventListener("submit", function (evt) {
      evt.preventDefault();
      if (busy) return;
      busy = true;
      show(errorEl, "");
      fetchOptions(url, form).then(function (options) {
        return lib().startAuthentication({ optionsJSON: options });
      }).then(finish, function (err) {
        busy = false;
        var text = describe(err, false);
        if (text) show(errorEl, text);
        conditional();  // the button's request replaced the autofill one: offer autofill again
      });
    });
    conditional();
  }

  // ---- registration (my passkeys, compulsory enrolment) -------------------------------------
  function setupRegister(form) {
    var errorEl = form.querySelector("[data-passkey-error]");
    var unsupportedEl = form.querySelector("[data-passkey-unsupported]");
    var nameInput = form.querySelector("input[name=name]");
    var button = form.querySelector("button[type=submit]");
    var url = form.getAttribute("data-options-url");

    if (!supported()) {
      show(unsupportedEl, MESSAGES.unsupported);
      if (button) button.disabled = true;
      return;
    }
    form.addEventListener("submit", function (evt) {
      evt.preventDefault();
      show(errorEl, "");
      if (!nameInput.value.trim()) {
        fieldError(nameInput, MESSAGES.name);
        nameInput.focus();
        return;
      }
      fieldError(nameInput, "");
      button.disabled = true;
      var body = new URLSearchParams();
      body.set("name", nameInput.value);
      fetchOptions(url, form, body).then(function (options) {
        return lib().startRegistration({ optionsJSON: options });
      }).then(function (response) {
        form.querySelector("input[name=credential]").value = JSON.stringify(response);
        form.submit();  // plain POST: the server verifies, then shows the list or the reason
      }, function (err) {
        button.disabled = false;
        var text = describe(err, true);
        if (err && err.field === "name") {
          fieldError(nameInput, text);
          nameInput.focus();
        } else if (text) {
          show(errorEl, text);
        }
      });
    });
  }

  function setup(root) {
    whenLib(function () {
      root.querySelectorAll("[data-passkey-signin]").forEach(function (box) {
        if (box.dataset.passkeyReady) return;
        box.dataset.passkeyReady = "1";
        setupSignIn(box);
      });
      root.querySelectorAll("form[data-passkey-register]").forEach(function (form) {
        if (form.dataset.passkeyReady) return;
        form.dataset.passkeyReady = "1";
        setupRegister(form);
      });
    });
  }

  window.terrainPasskeys = { setup: setup };
  document.addEventListener("htmx:load", function (evt) { setup(evt.target); });
  setup(document);
})();
