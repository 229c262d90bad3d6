/* Service worker of the visit pages (scope /visits/): pages are fetched from the network and
 * a copy kept; without network the last copy is shown (the visitor's list, a household's form),
 * so a visitor can open and fill forms where there is no signal. Static files are kept after
 * their first load. Uploads (POST) are never touched: offline.js queues them. */
"use strict";
var CACHE = "minhu-visits-v1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (ev) { ev.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    ev.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(req).then(function (hit) {
        return hit || fetch(req).then(function (resp) {
          if (resp.ok) cache.put(req, resp.clone());
          return resp;
        });
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/visits/") !== 0 || url.searchParams.get("format")) return;
  ev.respondWith(fetch(req).then(function (resp) {
    if (resp.ok && resp.type === "basic" && !resp.redirected) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (cache) { cache.put(req, copy); });
    }
    return resp;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(req).then(function (hit) {
        return hit || cache.match(req, { ignoreSearch: true }) || Response.error();
      });
    });
  }));
});
