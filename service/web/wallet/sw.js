// The wallet's service worker: the page opens offline (credentials are shown from the encrypted vault),
// and the big, immutable proving artifacts are downloaded once per version, not once per visit.
//   - the page and its modules: network first, the cached copy when offline;
//   - proving artifacts, /v1/keys/<circuit>/<file>?sha256=<digest>: cache first. The prover names each
//     by its published digest, so a new key is a new URL, and it checks every byte against the digest;
//   - every other API call (requests, presentations, pickups, tiles): straight to the network, never cached.

const CACHE = "zkelig-wallet-v1";
const SHELL = [
  "/wallet",
  "/web/wallet/wallet.js", "/web/wallet/store.js", "/web/wallet/prove.js", "/web/wallet/describe.js",
  "/web/wallet/qr.js", "/web/wallet/pickup.js", "/web/wallet/witness.js", "/web/wallet/inputs.js",
  "/web/wallet/tiles.js", "/web/wallet/wallet.css", "/web/wallet/manifest.webmanifest",
  "/web/wallet/icon.svg", "/web/wallet/icon-192.png",
  "/web/shared/api.js", "/web/shared/words.js", "/web/shared/style.css",
  "/web/vendor/qrcode-generator/dist/qrcode.mjs",
];

self.addEventListener("install", (event) => {
  // A shell file that fails to download must not block installation: it is fetched again when online.
  event.waitUntil(caches.open(CACHE).then((cache) => Promise.allSettled(SHELL.map((url) => cache.add(url))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => names.filter((n) => n.startsWith("zkelig-wallet-") && n !== CACHE))
    .then((old) => Promise.all(old.map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

function immutable(url) {
  return /^\/v1\/keys\/[^/]+\/[^/]+$/.test(url.pathname) && url.searchParams.has("sha256");
}

function shell(url) {
  return url.pathname === "/wallet" || url.pathname.startsWith("/web/") || url.pathname === "/v1/presets";
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const hit = await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (immutable(url)) event.respondWith(cacheFirst(event.request));
  else if (shell(url)) event.respondWith(networkFirst(event.request));
});
