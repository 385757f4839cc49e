// Logbook entry form: the date and time default to the phone's "now" each time the form opens
// (the page may come from the phone's cache), and photos are resized in the browser as the
// inventories' are (TerrainPhotos.resize from inventory.js: long edge 1600 px, JPEG 0.8,
// upright; the canvas re-encoding drops EXIF and GPS) then handed to the
// outbox with the entry (offline.js calls form.outboxFiles()). Hooks on data attributes only.
(function () {
  "use strict";
  var MAX = 6;

  function two(n) { return String(n).padStart(2, "0"); }

  function nowLocal() {
    var d = new Date();
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + "T" +
      two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function setup(form) {
    var when = form.querySelector("[name=occurred_at]");
    var inputs = Array.prototype.slice.call(form.querySelectorAll("[data-logbook-photos]"));
    var thumbs = form.querySelector("[data-logbook-thumbs]");
    var photos = [];  // resized blobs waiting to leave with the entry
    // Only with a service worker do photos go through the outbox (resized here); otherwise
    // the plain form posts the files as chosen and the server resizes them.
    var viaOutbox = "serviceWorker" in navigator && !!navigator.serviceWorker.controller;

    // keepTyped: leave a value the person already changed (setup may run after their first
    // keystrokes when the page comes from the phone's cache).
    function freshTime(keepTyped) {
      if (!when || !form.hasAttribute("data-fresh-time")) return;
      if (keepTyped && when.value !== when.defaultValue) return;
      when.value = nowLocal();
    }

    function rawFiles() {
      var out = [];
      inputs.forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (file) { out.push(file); });
      });
      return out;
    }

    function thumb(blob, label, onRemove) {
      var box = document.createElement("span");
      box.className = "thumb";
      var img = document.createElement("img");
      img.width = 72;
      img.height = 72;
      img.alt = label;
      img.src = URL.createObjectURL(blob);
      box.appendChild(img);
      if (onRemove) {
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "button small-button";
        remove.textContent = "Retirer";
        remove.setAttribute("aria-label", "Retirer : " + label.toLowerCase());
        remove.addEventListener("click", onRemove);
        box.appendChild(remove);
      }
      return box;
    }

    function draw() {
      if (!thumbs) return;
      thumbs.textContent = "";
      photos.forEach(function (blob, i) {
        thumbs.appendChild(thumb(blob, "Photo " + (i + 1) + " jointe à l'entrée",
                                 function () { photos.splice(i, 1); draw(); }));
      });
      rawFiles().forEach(function (file, i) {
        thumbs.appendChild(thumb(file, "Photo " + (photos.length + i + 1) + " jointe à l'entrée"));
      });
    }

    // offline.js asks for the files to send with the entry through the outbox.
    form.outboxFiles = function () {
      var out = photos.map(function (blob, i) { return ["photos", blob, "photo-" + (i + 1) + ".jpg"]; });
      rawFiles().forEach(function (file) { out.push(["photos", file, file.name || "photo.jpg"]); });
      return out;
    };

    freshTime(true);
    inputs.forEach(function (input) {
      input.addEventListener("change", function (event) {
        event.stopPropagation();  // not part of the text draft
        if (!viaOutbox) { draw(); return; }
        var files = Array.prototype.slice.call(input.files || []);
        input.value = "";
        var room = Math.max(0, MAX - photos.length);
        if (files.length > room) window.alert(MAX + " photos au plus par entrée.");
        files.slice(0, room).reduce(function (chain, file) {
          return chain.then(function () {
            return window.TerrainPhotos.resize(file).then(function (blob) { photos.push(blob); draw(); },
                                     function () { window.alert("Cette image n'a pas pu être lue."); });
          });
        }, Promise.resolve());
      }, true);
    });
    form.addEventListener("terrain:outbox-queued", function () {
      photos = [];
      inputs.forEach(function (input) { input.value = ""; });
      draw();
      freshTime();
    });
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    var forms = root.matches && root.matches("[data-logbook-entry]") ? [root]
      : root.querySelectorAll("[data-logbook-entry]");
    Array.prototype.forEach.call(forms, function (f) {
      if (!f.dataset.logbookReady) { f.dataset.logbookReady = "1"; setup(f); }
    });
  }

  scan(document);
  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
})();
