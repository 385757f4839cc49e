// Terrain service worker: event wiring. Served at /service-worker.js as
// `self.TERRAIN = {...}` + setup.js + pages.js + outbox.js + this file (app/pwa/views.py).
/* global TERRAIN, workbox, TerrainDB, Pages, Outbox */
"use strict";

// App shell and static files: precached, versioned by content.
workbox.precaching.precacheAndRoute(TERRAIN.precache, { ignoreURLParametersMatching: [/.*/] });

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil((async function () {
    // Delete every cache of ours that does not carry this version.
    const keep = new Set([workbox.core.cacheNames.precache, Pages.cacheName]);
    for (const name of await caches.keys()) {
      if (name.startsWith("terrain-") && !keep.has(name)) await caches.delete(name);
    }
    await self.clients.claim();
    Outbox.replay();
  })());
});

self.addEventListener("fetch", function (event) {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && request.headers.get("X-Terrain-Outbox") === "1") {
    event.respondWith(Outbox.submit(request));
    return;
  }
  if (request.method === "GET" && Pages.handles(request, url)) {
    event.respondWith(Pages.respond(request, url));
  }
});

self.addEventListener("message", function (event) {
  const data = event.data || {};
  const reply = function (value) {
    if (event.ports && event.ports[0]) event.ports[0].postMessage(value);
  };
  let work;
  if (data.type === "replay") work = Outbox.replay().then(() => Outbox.count(data.user));
  else if (data.type === "count") work = Outbox.count(data.user);
  else if (data.type === "cache-urls") work = Pages.keepOnly(data.urls || []);
  else if (data.type === "hello") work = forgetOtherUser(data.user);
  else if (data.type === "sign-out") work = signOut(data.user);
  else if (data.type === "wipe") work = wipeAll();
  else work = Promise.resolve(null);
  event.waitUntil(work.then(reply, function (err) { reply({ error: String(err) }); }));
});

// A different person signed in on this phone: nothing of the previous one is kept for reading.
async function forgetOtherUser(user) {
  const last = await TerrainDB.get("meta", "user");
  if (last && String(last) !== String(user)) {
    await caches.delete(Pages.cacheName);
    await TerrainDB.clear("drafts", "u" + last + ":");
  }
  await TerrainDB.put("meta", "user", String(user));
  return { ok: true };
}

// Signing out deletes what the phone kept for this person: pages, drafts, waiting reports.
async function signOut(user) {
  for (const name of await caches.keys()) {
    if (name.startsWith("terrain-") && name !== workbox.core.cacheNames.precache) {
      await caches.delete(name);
    }
  }
  await TerrainDB.clear("drafts", "u" + user + ":");
  await TerrainDB.clear("rejected", "u" + user + ":");
  await Outbox.dropUser(user);
  await TerrainDB.del("meta", "user");
  return { ok: true };
}

// An admin revoked this device (lost or stolen phone): the server marks its next answer
// (X-Terrain-Wipe, or data-wipe-device on the page) and nothing of anyone is kept: pages,
// drafts, refused and waiting reports. Only the app shell (no personal data) stays.
async function wipeAll() {
  for (const name of await caches.keys()) {
    if (name.startsWith("terrain-") && name !== workbox.core.cacheNames.precache) {
      await caches.delete(name);
    }
  }
  await TerrainDB.clear("drafts", "");
  await TerrainDB.clear("rejected", "");
  await Outbox.dropAll();
  await TerrainDB.del("meta", "user");
  return { ok: true };
}
self.terrainWipe = wipeAll;

// Background Sync where the browser has it; on every worker start otherwise (iOS).
Outbox.replay();
