// The service worker: the app shell from cache when offline, and Web Push.

const CACHE = "countersign-app-v1";
const SHELL = ["../app", "main.js", "device.js", "store.js", "totp.js", "app.css",
  "manifest.webmanifest", "icon.svg", "icon-192.png", "icon-512.png"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

function isShell(url) {
  const scope = new URL(self.registration.scope);
  return url.origin === scope.origin && (url.pathname === scope.pathname || url.pathname.startsWith(scope.pathname + "/"));
}

// Network first (an updated server updates the app), the cache when offline.
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !isShell(url)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(event.request, response.clone());
      return response;
    } catch (e) {
      const cached = await cache.match(event.request, { ignoreSearch: true });
      if (cached) return cached;
      throw e;
    }
  })());
});

// The message holds only the transaction id and a short label.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (_) { data = {}; }
  const id = data.transaction_id || "";
  event.waitUntil((async () => {
    for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage({ type: "request", id });
    await self.registration.showNotification(data.label || "Sign-in request", {
      body: "Tap to approve or deny.",
      tag: id || "countersign",
      data: { id },
      icon: "icon-192.png",
      requireInteraction: true,
    });
  })());
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const id = (event.notification.data && event.notification.data.id) || "";
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (isShell(new URL(client.url))) {
        client.postMessage({ type: "request", id });
        return client.focus();
      }
    }
    return self.clients.openWindow(new URL("../app#request=" + encodeURIComponent(id), self.location.href).href);
  })());
});
