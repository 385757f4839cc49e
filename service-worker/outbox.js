// The outbox: reports written on the phone are stored first (Workbox's background-sync Queue:
// IndexedDB, bodies as ArrayBuffer) and then sent, oldest first, exactly once thanks to their
// client_id. Workbox's default replay treats any answer as delivered; ours reads the answer:
//   2xx JSON            delivered (the server saved it, or had it already)
//   409                 delivered as a conflict the server kept for the worker to resolve
//   401 / login page    session expired: everything waits until the worker signs in again
//   other 4xx           refused: moved to the "rejected" store and shown to fix, never dropped
//   5xx / no network    put back at the front; tried again on the next trigger
// Triggers: Background Sync, worker start, and the pages (open, online, visibilitychange).
/* global workbox, TerrainDB */
"use strict";

const Outbox = (function () {
  // Never expire a waiting report (Workbox drops entries older than maxRetentionTime).
  const queue = new workbox.backgroundSync.Queue("terrain-outbox", {
    maxRetentionTime: 60 * 24 * 365 * 5,
    onSync: function () { return replay(); },
  });
  let running = null;

  async function broadcast(message) {
    const clients = await self.clients.matchAll({ includeUncontrolled: true, type: "window" });
    clients.forEach(function (c) { c.postMessage(message); });
  }

  async function session() {
    const response = await fetch("/session/etat", {
      credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
    });
    if (response.headers.get("X-Terrain-Wipe") === "1") { await self.terrainWipe(); return null; }
    if (response.status === 401) return null;
    if (!response.ok) throw new Error("session " + response.status);
    return response.json();
  }

  function withToken(request, token) {
    const headers = new Headers(request.headers);
    headers.set("X-CSRFToken", token);
    headers.set("Accept", "application/json");
    headers.delete("X-Terrain-Outbox");
    // A clone: the queued request must keep its body so it can be put back after a failure.
    return new Request(request.clone(), { headers: headers, redirect: "manual",
                                          credentials: "same-origin" });
  }

  async function submit(request) {
    try {
      return await store(request);
    } catch (err) {
      console.error("outbox", err);  // the page keeps the draft; the person can try again
      return new Response(JSON.stringify({
        status: "error",
        error: "Le téléphone n'a pas pu mettre ce compte rendu en file d'envoi : il reste en " +
               "brouillon ici, réessayez.",
      }), { status: 500, headers: { "Content-Type": "application/json" } });
    }
  }

  async function store(request) {
    const meta = {
      user: request.headers.get("X-Terrain-User"),
      clientId: request.headers.get("X-Terrain-Client-Id"),
      draftKey: request.headers.get("X-Terrain-Draft"),
      queuedAt: Date.now(),
    };
    await queue.pushRequest({ request: request, metadata: meta });  // stored before anything else
    const results = await replay();
    const mine = results.get(meta.clientId);
    const headers = { "Content-Type": "application/json" };
    if (mine) return new Response(JSON.stringify(mine.body), { status: mine.status, headers });
    const waiting = await count(meta.user);
    return new Response(JSON.stringify({ status: "queued", waiting: waiting.count,
                                         reason: results.reason || "offline" }),
                        { status: 202, headers });
  }

  function replay() {
    if (!running) {
      const current = run().finally(function () { if (running === current) running = null; });
      running = current;
    }
    return running;
  }

  async function run() {
    const results = new Map();
    let current;
    try {
      current = await session();
    } catch (err) {
      results.reason = "offline";
      return results;
    }
    if (!current) {
      results.reason = "session";
      const waiting = await queue.size();
      if (waiting) await broadcast({ type: "outbox-session" });
      return results;
    }
    const skipped = [];
    let entry;
    while ((entry = await queue.shiftRequest())) {
      const meta = entry.metadata || {};
      if (String(meta.user) !== String(current.user)) { skipped.push(entry); continue; }
      let response;
      try {
        response = await fetch(withToken(entry.request, current.csrf));
      } catch (err) {
        await queue.unshiftRequest(entry);
        results.reason = "offline";
        break;
      }
      if (response.type === "opaqueredirect" || response.status === 401) {
        await queue.unshiftRequest(entry);
        results.reason = "session";
        await broadcast({ type: "outbox-session" });
        break;
      }
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        await queue.unshiftRequest(entry);
        results.reason = "server";
        break;
      }
      let body = {};
      try { body = await response.json(); } catch (err) { body = {}; }
      if (response.status === 400 && body.status === "csrf") {
        // The token went stale between /session/etat and now: try again at the next trigger.
        await queue.unshiftRequest(entry);
        results.reason = "session";
        break;
      }
      if (response.ok || response.status === 409) {
        if (meta.draftKey) await TerrainDB.del("drafts", "u" + meta.user + ":" + meta.draftKey);
        results.set(meta.clientId, { status: response.status, body: body });
        await broadcast({ type: "outbox-delivered", clientId: meta.clientId,
                          status: response.status, body: body });
        continue;
      }
      // Refused (400, 403, 404, 422...): kept for the worker to fix, with the server's words.
      const form = await entry.request.clone().text();
      await TerrainDB.put("rejected", "u" + meta.user + ":" + meta.clientId, {
        url: entry.request.url, form: form, status: response.status, body: body,
        draftKey: meta.draftKey, at: Date.now(),
      });
      results.set(meta.clientId, { status: response.status, body: body });
      await broadcast({ type: "outbox-rejected", clientId: meta.clientId,
                        status: response.status, body: body });
    }
    for (const e of skipped.reverse()) await queue.unshiftRequest(e);
    const waiting = await count(current.user);
    await broadcast({ type: "outbox-count", user: String(current.user),
                      count: waiting.count, drafts: waiting.drafts });
    return results;
  }

  async function count(user) {
    const entries = await queue.getAll();
    const mine = entries.filter(function (e) { return String((e.metadata || {}).user) === String(user); });
    const rejected = await TerrainDB.entries("rejected", "u" + user + ":");
    return {
      count: mine.length,
      drafts: mine.map(function (e) { return e.metadata.draftKey; }),
      rejected: rejected.map(function (kv) { return { clientId: kv[0].split(":")[1], ...kv[1] }; }),
    };
  }

  // Sign-out. A replay in flight holds the entry it is sending and puts it back when that
  // fails, so the drop waits for it; and the drop takes the replay's place meanwhile, so a
  // replay asked for during the drop (a page's retry timer) waits instead of taking an entry.
  function dropUser(user) {
    const current = (running || Promise.resolve()).catch(function () { /* its own */ })
      .then(function () { return removeUser(user); })
      .then(function () { const none = new Map(); none.reason = "session"; return none; })
      .finally(function () { if (running === current) running = null; });
    running = current;
    return current;
  }

  async function removeUser(user) {
    const keep = [];
    let entry;
    while ((entry = await queue.shiftRequest())) {
      if (String((entry.metadata || {}).user) !== String(user)) keep.push(entry);
    }
    for (const e of keep) await queue.pushRequest(e);
  }

  // A revoked device (lost phone): every waiting request goes, whoever queued it.
  async function dropAll() {
    while (await queue.shiftRequest()) { /* dropped */ }
  }

  // What waits, once a replay in flight is over (it holds the entry it is sending: counted
  // during the send, a waiting report would look gone, and sign-out would not warn).
  async function settledCount(user) {
    if (running) await running.catch(function () { /* reported by the replay */ });
    return count(user);
  }

  return { submit: submit, replay: replay, count: settledCount, dropUser: dropUser,
           dropAll: dropAll };
})();
