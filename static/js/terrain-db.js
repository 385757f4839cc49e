// A very small IndexedDB wrapper shared by the pages and the service worker.
// Stores: "drafts" (report drafts, key "u<user>:<form key>"), "rejected" (outbox entries the
// server refused with a 4xx: kept for the worker to fix), "meta" (last signed-in user).
(function (root) {
  "use strict";
  var DB_NAME = "terrain";
  var STORES = ["drafts", "rejected", "meta"];
  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          STORES.forEach(function (name) {
            if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name);
          });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { opening = null; reject(req.error); };
      });
    }
    return opening;
  }

  function run(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode);
        var result = fn(tx.objectStore(store));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  root.TerrainDB = {
    get: function (store, key) { return run(store, "readonly", function (s) { return s.get(key); }); },
    put: function (store, key, value) {
      return run(store, "readwrite", function (s) { s.put(value, key); });
    },
    del: function (store, key) { return run(store, "readwrite", function (s) { s.delete(key); }); },
    // All [key, value] pairs whose key starts with prefix.
    entries: function (store, prefix) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var out = [];
          var tx = db.transaction(store, "readonly");
          var range = IDBKeyRange.bound(prefix, prefix + "\uffff");
          tx.objectStore(store).openCursor(range).onsuccess = function (e) {
            var cursor = e.target.result;
            if (cursor) { out.push([cursor.key, cursor.value]); cursor.continue(); }
          };
          tx.oncomplete = function () { resolve(out); };
          tx.onerror = function () { reject(tx.error); };
        });
      });
    },
    // Delete every key starting with prefix.
    clear: function (store, prefix) {
      return run(store, "readwrite", function (s) {
        s.delete(IDBKeyRange.bound(prefix, prefix + "\uffff"));
      });
    },
  };
})(typeof self !== "undefined" ? self : window);
