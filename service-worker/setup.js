// Loads Workbox from our own static folder (never a CDN) and the shared IndexedDB helper.
/* global TERRAIN, workbox */
"use strict";

importScripts(TERRAIN.workbox + "workbox-sw.js", TERRAIN.db);
workbox.setConfig({ modulePathPrefix: TERRAIN.workbox, debug: false });
workbox.core.setCacheNameDetails({ prefix: "terrain", suffix: TERRAIN.version });
workbox.loadModule("workbox-core");
workbox.loadModule("workbox-precaching");
workbox.loadModule("workbox-routing");
workbox.loadModule("workbox-strategies");
workbox.loadModule("workbox-background-sync");
