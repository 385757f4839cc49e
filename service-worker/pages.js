// Offline reading: only the pages the worker needs for the coming days (listed by the
// "Aujourd'hui" page), refreshed from the network when it answers, and nothing more.
/* global TERRAIN */
"use strict";

const Pages = (function () {
  const cacheName = "terrain-pages-" + TERRAIN.version;
  const NETWORK_TIMEOUT_MS = 4000;
  // A kept page younger than this is not fetched again when "Aujourd'hui" lists it anew
  // (opening a kept page online refreshes it anyway).
  const FRESH_MS = 15 * 60 * 1000;

  function isLoginPage(response) {
    return response.redirected && new URL(response.url).pathname.startsWith("/connexion");
  }

  // Navigations, and htmx-boosted navigations (their answer is the same full page).
  function handles(request, url) {
    if (url.pathname.startsWith("/static/") || url.pathname === "/service-worker.js") return false;
    if (request.mode === "navigate") return true;
    return request.headers.get("HX-Boosted") === "true";
  }

  async function respond(request, url) {
    const key = url.pathname + url.search;
    // caches.match, not caches.open: opening would re-create the cache after a sign-out.
    const cached = await caches.match(key, { cacheName: cacheName });
    try {
      const response = await withTimeout(fetch(request), cached ? NETWORK_TIMEOUT_MS : 30000);
      if (response.headers.get("X-Terrain-Wipe") === "1") { await self.terrainWipe(); return response; }
      if (cached && response.ok && !isLoginPage(response) && request.mode === "navigate") {
        await (await caches.open(cacheName)).put(key, await stamped(response.clone()));
      }
      return response;
    } catch (err) {
      if (cached) return cached;
      if (request.mode === "navigate") {
        const offline = await caches.match(TERRAIN.offline, { ignoreSearch: true });
        if (offline) return offline;
      }
      throw err;
    }
  }

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      const timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
      promise.then(function (r) { clearTimeout(timer); resolve(r); },
                   function (e) { clearTimeout(timer); reject(e); });
    });
  }

  // A copy of the response carrying the time it was kept.
  async function stamped(response) {
    const headers = new Headers(response.headers);
    headers.set("X-Terrain-Kept-At", String(Date.now()));
    return new Response(await response.blob(), { status: response.status,
                                                 statusText: response.statusText, headers });
  }

  // Cache exactly these URLs (fetched fresh) and drop every other page.
  async function keepOnly(urls) {
    const cache = await caches.open(cacheName);
    const wanted = new Set(urls.map(function (u) { return new URL(u, self.location.origin); })
      .filter(function (u) { return u.origin === self.location.origin; })
      .map(function (u) { return u.pathname + u.search; }));
    for (const request of await cache.keys()) {
      const u = new URL(request.url);
      if (!wanted.has(u.pathname + u.search)) await cache.delete(request);
    }
    let stored = 0;
    for (const path of wanted) {
      const kept = await cache.match(path);
      const keptAt = kept && Number(kept.headers.get("X-Terrain-Kept-At"));
      if (keptAt && Date.now() - keptAt < FRESH_MS) continue;
      try {
        // Marked as a prefetch: the server then neither touches the session cookie (a late
        // answer must not overwrite a newer one) nor hands out the person's flash messages.
        const response = await fetch(path, { credentials: "same-origin",
                                             headers: { "X-Terrain-Prefetch": "1" } });
        if (response.headers.get("X-Terrain-Wipe") === "1") { await self.terrainWipe(); return { stored: 0 }; }
        if (response.ok && !isLoginPage(response)) {
          await cache.put(path, await stamped(response));
          stored++;
        }
      } catch (err) { /* offline: keep the copy we had */ }
    }
    return { stored: stored };
  }

  return { cacheName: cacheName, handles: handles, respond: respond, keepOnly: keepOnly };
})();
