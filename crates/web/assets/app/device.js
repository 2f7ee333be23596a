// The device API (docs/device-api.md), spoken exactly as the CLI
// authenticator speaks it: activation, then signed requests.

import { importSeed } from "./totp.js";

export class ServerError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// fetch() failed without an answer: the phone does not trust the server's
// certificate, or cannot reach it at all.
export class Unreachable extends Error {
  constructor(server) {
    super(`cannot reach ${server}`);
    this.server = server;
  }
}

const encoder = new TextEncoder();

export function b64(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text);
}

export function b64urlDecode(text) {
  const plain = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = plain + "=".repeat((4 - (plain.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function nonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function hmac(key, message) {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, encoder.encode(message)));
}

// PIN mode: the PIN itself is never sent or kept, only derived keys.
export const pinKey = (pin) => hmac(encoder.encode("countersign-pin"), pin);
export async function pinProof(pin, requestId) {
  return b64(await hmac(await pinKey(pin), `countersign-pin:${requestId}`));
}

// The server's base URL, always ending with "/".
export function normalizeServer(text) {
  const url = new URL(text.trim());
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  url.hash = "";
  url.search = "";
  return url.href;
}

async function send(server, method, path, headers, body, signal) {
  const url = new URL(path.replace(/^\//, ""), server);
  let response;
  try {
    response = await fetch(url, { method, headers, body: body || undefined, signal, cache: "no-store", credentials: "omit" });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new Unreachable(new URL(server).host);
  }
  return response;
}

async function answerOf(response) {
  let value = null;
  try { value = await response.json(); } catch (_) { value = null; }
  if (!response.ok) {
    const error = (value && value.error) || {};
    throw new ServerError(response.status, error.code || "http_" + response.status,
      error.message || `the server answered ${response.status}`);
  }
  return value;
}

export function platform() {
  const ua = navigator.userAgent;
  if (/Android/i.test(ua)) return "android";
  if (/iPhone|iPad|iPod/i.test(ua)) return "ios";
  return "web";
}

export function defaultDeviceName() {
  const names = { android: "Android phone", ios: "iPhone", web: "Web browser" };
  return names[platform()];
}

// Makes the device key, activates, and returns the account to keep.
export async function activate(server, code, deviceName, pin) {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const publicKey = await crypto.subtle.exportKey("raw", keys.publicKey);
  const body = { code, public_key: b64(publicKey), device_name: deviceName, platform: platform() };
  if (pin) body.pin_key = b64(await pinKey(pin));
  const response = await send(server, "POST", "/device/v1/activate",
    { "content-type": "application/json" }, JSON.stringify(body));
  const answer = await answerOf(response);
  return {
    id: `${server}|${answer.device_id}`,
    server,
    device_id: answer.device_id,
    user: answer.user,
    display_name: answer.display_name || null,
    account_name: answer.account_name || "Countersign",
    number_matching: !!answer.number_matching,
    pin_required: !!answer.pin_required,
    web_push: answer.web_push || null,
    privateKey: keys.privateKey,
    publicKey: keys.publicKey,
    seed: answer.oath ? await importSeed(answer.oath) : null,
    push_endpoint: null,
    added_at: Date.now(),
  };
}

// A signed request: METHOD\nPATH_AND_QUERY\nTIMESTAMP\nNONCE\nHEX(SHA-256(BODY)),
// as crates/device-proto (canonical_string) defines it, docs/device-api.md;
// crates/server/tests/webapp_signing.rs verifies this code's signatures with it.
export async function signed(account, method, path, bodyValue, signal) {
  const body = bodyValue === undefined || bodyValue === null ? "" : JSON.stringify(bodyValue);
  const url = new URL(path.replace(/^\//, ""), account.server);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const once = nonce();
  const digest = hex(await crypto.subtle.digest("SHA-256", encoder.encode(body)));
  const text = `${method}\n${url.pathname}${url.search}\n${timestamp}\n${once}\n${digest}`;
  const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, account.privateKey, encoder.encode(text));
  const headers = {
    "x-countersign-device": account.device_id,
    "x-countersign-timestamp": timestamp,
    "x-countersign-nonce": once,
    "x-countersign-signature": b64(signature),
  };
  if (body) headers["content-type"] = "application/json";
  return send(account.server, method, path, headers, body, signal);
}

export async function call(account, method, path, body) {
  return answerOf(await signed(account, method, path, body));
}

export const pending = async (account) => (await call(account, "GET", "/device/v1/requests")).requests || [];

export function answer(account, id, choice, number, pin) {
  return (async () => {
    const body = { answer: choice };
    if (choice === "approve" && number !== undefined && number !== null && number !== "") body.number = Number(number);
    if (choice === "approve" && pin) body.pin_proof = await pinProof(pin, id);
    return call(account, "POST", `/device/v1/requests/${encodeURIComponent(id)}/answer`, body);
  })();
}

// Reads the event stream until it ends; each `request` event goes to onRequest.
export async function watch(account, onRequest, signal) {
  const response = await signed(account, "GET", "/device/v1/events", null, signal);
  if (!response.ok) await answerOf(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      if (event === "request" && data) {
        try { onRequest(JSON.parse(data)); } catch (_) { /* a malformed event is skipped */ }
      }
    }
  }
}
