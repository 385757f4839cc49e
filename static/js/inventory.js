// États des lieux on the phone: photos resized in the browser (long edge 1600 px, JPEG 0.8,
// upright, no EXIF since the canvas re-encodes) and sent through the outbox, each exactly once
// (client_id); signature pads drawn with a finger. Hooks on data attributes only.
(function () {
  "use strict";
  var LONG_EDGE = 1600;
  var QUALITY = 0.8;
  var counts = { sent: 0, waiting: 0, failed: 0 };

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (e) { return ""; }
  }

  function showStatus() {
    var el = document.querySelector("[data-photo-status]");
    if (!el) return;
    var parts = [];
    if (counts.sent) parts.push(counts.sent + " envoyée" + (counts.sent > 1 ? "s" : ""));
    if (counts.waiting) parts.push(counts.waiting + " gardée" + (counts.waiting > 1 ? "s" : "") +
                                   " sur le téléphone, envoi dès que le réseau revient");
    if (counts.failed) parts.push(counts.failed + " refusée" + (counts.failed > 1 ? "s" : ""));
    el.textContent = parts.length ? "Photos : " + parts.join(", ") + "." : "";
  }

  // Decode with the camera's orientation applied, scale down, re-encode as JPEG. Shared with
  // the logbook's photos (logbook.js, loaded after this file) as TerrainPhotos.resize.
  function resize(file) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LONG_EDGE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("encode")); },
                      "image/jpeg", QUALITY);
      });
    });
  }

  window.TerrainPhotos = { resize: resize };

  function upload(form, input, file) {
    var thumbs = document.querySelector("[data-thumbs='" + (input.dataset.photoItem ||
                                        "meter-" + input.dataset.photoMeter) + "']");
    var img = document.createElement("img");
    img.width = 72;
    img.height = 72;
    img.alt = "Photo en cours d'envoi";
    img.className = "pending";
    if (thumbs) thumbs.appendChild(img);
    var clientId = self.crypto.randomUUID();
    return resize(file).then(function (blob) {
      img.src = URL.createObjectURL(blob);
      var data = new FormData();
      data.append("client_id", clientId);
      if (input.dataset.photoItem) data.append("item_id", input.dataset.photoItem);
      if (input.dataset.photoMeter) data.append("meter", input.dataset.photoMeter);
      data.append("photo", blob, "photo.jpg");
      var headers = { "Accept": "application/json", "X-CSRFToken": csrfToken() };
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        headers["X-Terrain-Outbox"] = "1";
        headers["X-Terrain-User"] = document.body.getAttribute("data-user");
        headers["X-Terrain-Client-Id"] = clientId;
      }
      return fetch(form.getAttribute("data-photo-url"), { method: "POST", body: data,
                                                          headers: headers, credentials: "same-origin" });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.status === 201 || response.status === 200) {
          counts.sent++;
          img.alt = "Photo envoyée";
          img.className = "sent";
        } else if (response.status === 202) {
          counts.waiting++;
          img.alt = "Photo gardée sur le téléphone";
        } else {
          counts.failed++;
          img.alt = "Photo refusée";
          img.className = "failed";
          window.alert(answer.error || "La photo n'a pas pu être envoyée.");
        }
        showStatus();
      });
    }).catch(function () {
      counts.failed++;
      img.className = "failed";
      showStatus();
    });
  }

  function setupPhotos(form) {
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.matches("[data-photo-item], [data-photo-meter]") || !input.files) return;
      event.stopPropagation();  // not part of the draft
      var files = Array.prototype.slice.call(input.files);
      input.value = "";
      files.reduce(function (chain, file) {
        return chain.then(function () { return upload(form, input, file); });
      }, Promise.resolve());
    }, true);
  }

  function setupPad(canvas) {
    var input = canvas.parentNode.querySelector("input[name='" + canvas.dataset.signature + "']");
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#111";

    function point(e) {
      var box = canvas.getBoundingClientRect();
      return [(e.clientX - box.left) * canvas.width / box.width,
              (e.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true;
      canvas.setPointerCapture(e.pointerId);
      var p = point(e);
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = point(e);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      drawn = true;
    });
    function end() {
      if (!drawing) return;
      drawing = false;
      if (drawn) {
        input.value = canvas.toDataURL("image/png");
        input.dispatchEvent(new Event("input", { bubbles: true }));  // saved in the draft
      }
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    var clear = document.querySelector("[data-signature-clear='" + canvas.dataset.signature + "']");
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      drawn = false;
      input.value = "";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    // A signature restored from the draft is drawn back.
    function redraw() {
      if (!input.value) return;
      var img = new Image();
      img.onload = function () { ctx.drawImage(img, 0, 0); drawn = true; };
      img.src = input.value;
    }
    setTimeout(redraw, 0);
  }

  function scan(root) {
    if (!root || !root.querySelectorAll) return;
    var form = root.querySelector("[data-photo-url]");
    if (form && !form.dataset.photosReady) {
      form.dataset.photosReady = "1";
      setupPhotos(form);
    }
    Array.prototype.forEach.call(root.querySelectorAll("canvas[data-signature]"), function (c) {
      if (!c.dataset.ready) { c.dataset.ready = "1"; setupPad(c); }
    });
  }

  scan(document);
  document.addEventListener("htmx:load", function (event) { scan(event.detail.elt); });
})();
