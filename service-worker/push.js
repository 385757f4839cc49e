// Push: show a notification that names no one (the payload only carries a count), and open
// the alert centre when it is tapped (the sign-in page first if the session ended).
/* global TERRAIN */
"use strict";

self.addEventListener("push", function (event) {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) { data = {}; }
  const body = typeof data.body === "string" && data.body.length < 120
    ? data.body : "Vous avez de nouvelles alertes.";
  event.waitUntil(self.registration.showNotification("Terrain", {
    body: body,
    tag: "terrain-alerts",  // a newer push replaces the older one instead of piling up
    renotify: true,
    icon: TERRAIN.icon,
    badge: TERRAIN.icon,
    data: { url: TERRAIN.alerts }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  // Always our own page, never a URL taken from the payload.
  const target = new URL(TERRAIN.alerts, self.location.origin).href;
  event.waitUntil((async function () {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin !== self.location.origin) continue;
      const moved = "navigate" in client ? await client.navigate(target).catch(() => null) : null;
      const shown = moved || client;
      if ("focus" in shown) await shown.focus().catch(() => null);
      return;
    }
    await self.clients.openWindow(target);
  })());
});
