// The Countersign authenticator: accounts, sign-in requests, offline codes.

import * as store from "./store.js";
import * as device from "./device.js";
import { code as totp } from "./totp.js";

const view = document.getElementById("view");
const state = {
  accounts: [],
  requests: new Map(), // id -> { account, request }
  focus: null, // request id to show first (from a notification)
  activation: null, // { server, code } from the link, in memory only
  result: null, // { kind, text } of the last answer
  problems: new Map(), // account id -> text
  streams: new Map(), // account id -> AbortController
  screen: "home",
  busy: false,
};

// --- tiny DOM helper: text always goes in as text, never as HTML ---
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const host = (server) => new URL(server).host;
const here = () => new URL("./", location.href).href;

const UNTRUSTED = (server) =>
  `Cannot reach ${server}: if the phone is online, it does not trust the server's certificate, so ask your ` +
  "administrator to install the server's CA certificate on this phone (or to use a public one), then tap Retry.";

// What the user can do about the device API's refusals.
const ADVICE = {
  device_unknown: "This phone was removed from the server: remove the account here and ask for a new activation.",
  timestamp_stale: "The phone's clock is wrong: turn on automatic date and time in the phone's settings.",
  user_disabled: "Your account is blocked: contact your IT support.",
};

function problemText(e) {
  if (e instanceof device.Unreachable) return UNTRUSTED(e.server);
  if (e instanceof device.ServerError && ADVICE[e.code]) return ADVICE[e.code];
  if (e instanceof device.ServerError) return `${e.message} (${e.code})`;
  return String(e && e.message ? e.message : e);
}

// --- start ---
function takeFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const code = params.get("code");
  const request = params.get("request");
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  if (code) {
    const server = params.get("server") ? device.normalizeServer(params.get("server")) : here();
    state.activation = { server, code: code.replace(/\D/g, "") };
    state.screen = "activate";
  }
  if (request) state.focus = request;
}

async function start() {
  takeFragment();
  window.addEventListener("hashchange", () => { takeFragment(); render(); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("app/sw.js", { scope: "app" }).catch(() => {});
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "request") { state.focus = event.data.id; refreshAll(); }
    });
  }
  state.accounts = (await store.listAccounts()).sort((a, b) => a.added_at - b.added_at);
  render();
  for (const account of state.accounts) openStream(account);
  refreshAll();
  setInterval(tick, 1000);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refreshAll(); });
}

// --- being reached: the event stream while open ---
function openStream(account) {
  if (state.streams.has(account.id)) return;
  const controller = new AbortController();
  state.streams.set(account.id, controller);
  (async () => {
    while (!controller.signal.aborted) {
      try {
        await device.watch(account, (request) => addRequest(account, request), controller.signal);
      } catch (e) {
        if (controller.signal.aborted) return;
        setProblem(account, e);
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
  })();
}

function setProblem(account, e) {
  if (e) state.problems.set(account.id, problemText(e));
  else state.problems.delete(account.id);
  if (state.screen === "home") render();
}

function addRequest(account, request) {
  state.problems.delete(account.id);
  if (state.requests.has(request.id)) return;
  state.requests.set(request.id, { account, request });
  state.result = null; // the last answer's message is not about this request
  if (state.screen === "home") render();
}

async function refreshAll() {
  await Promise.all(state.accounts.map(async (account) => {
    try {
      const list = await device.pending(account);
      const live = new Set(list.map((r) => r.id));
      for (const [id, entry] of state.requests) if (entry.account.id === account.id && !live.has(id)) state.requests.delete(id);
      for (const request of list) addRequest(account, request);
      setProblem(account, null);
    } catch (e) {
      setProblem(account, e);
    }
  }));
  if (state.screen === "home") render();
}

// Once a second: expired requests go, codes and countdowns update in place
// (the screen is redrawn only when what it shows changed, so a tap never
// lands on a replaced button).
async function tick() {
  const now = Date.now();
  for (const [id, { request }] of state.requests) if (Date.parse(request.expires_at) <= now) state.requests.delete(id);
  await render();
  for (const [index, account] of state.accounts.entries()) {
    const shown = document.getElementById(`code-${index}`);
    if (!account.seed || !shown) continue;
    const { value, remaining } = await totp(account.seed);
    shown.textContent = value;
    document.getElementById(`remaining-${index}`).textContent = `${remaining} s left`;
    document.querySelector(`#bar-${index} > span`).style.width = `${Math.round((remaining / account.seed.period) * 100)}%`;
  }
}

// --- screens ---
// What the screen shows, but the codes: when it is unchanged, render() does nothing.
let shownKey = null;
function screenKey() {
  const entry = currentRequest();
  return JSON.stringify([state.screen, state.activation && state.activation.server, state.result && state.result.text,
    entry && entry.request.id, state.accounts.map((a) => [a.id, !!a.push_endpoint]), [...state.problems]]);
}

// Redraws the screen when what it shows changed (or when forced); what was
// typed into a field of the same screen survives.
async function render(force = false) {
  const next = screenKey();
  if (!force && next === shownKey) return;
  shownKey = next;
  const key = state.screen + "|" + (document.getElementById("request")?.dataset.id || "");
  const screen = state.screen === "activate" ? activateScreen()
    : state.screen === "add" ? addScreen()
    : await homeScreen();
  const typed = new Map([...view.querySelectorAll("input[id]")].map((el) => [el.id, el.value]));
  const focused = document.activeElement && document.activeElement.id;
  const pinShown = !!view.querySelector("#pin-field:not([hidden])");
  const sameScreen = key === state.screen + "|" + (screen.querySelector("#request")?.dataset.id || "");
  view.replaceChildren(screen);
  if (!sameScreen) return;
  for (const [id, value] of typed) { const el = document.getElementById(id); if (el) el.value = value; }
  if (pinShown && document.getElementById("pin-field")) document.getElementById("pin-field").hidden = false;
  if (focused) document.getElementById(focused)?.focus();
}

function currentRequest() {
  const entries = [...state.requests.values()];
  return entries.find((e) => e.request.id === state.focus) || entries[0] || null;
}

async function homeScreen() {
  const box = h("div", {});
  if (state.result) box.append(h("p", { id: "result", class: state.result.kind }, state.result.text));
  const entry = currentRequest();
  if (entry) {
    box.append(requestCard(entry));
    return box;
  }
  if (state.accounts.length === 0) {
    box.append(h("div", { class: "card" },
      h("h2", {}, "No account yet"),
      h("p", {}, "Open the activation link your administrator gave you, or type the 16-digit activation code."),
      h("button", { id: "add", class: "primary", onclick: () => go("add") }, "Add an account")));
    return box;
  }
  for (const account of state.accounts) box.append(await accountCard(account));
  box.append(h("button", { id: "add", onclick: () => go("add") }, "Add another account"));
  return box;
}

async function accountCard(account) {
  const index = state.accounts.indexOf(account);
  const card = h("section", { class: "card account", "data-user": account.user, "data-device": account.device_id },
    h("div", { class: "account-head" },
      h("h2", {}, account.account_name),
      h("span", { class: "muted small" }, host(account.server))),
    h("p", { class: "user" }, account.display_name ? `${account.display_name} (${account.user})` : account.user));
  if (account.seed) {
    const { value, remaining } = await totp(account.seed);
    card.append(
      h("p", { class: "muted small" }, "One-time code (works offline)"),
      h("div", { class: "code", id: `code-${index}` }, value),
      bar(index, remaining / account.seed.period),
      h("p", { class: "muted small", id: `remaining-${index}` }, `${remaining} s left`));
  }
  const problem = state.problems.get(account.id);
  if (problem) card.append(h("p", { class: "problem", id: `problem-${index}` }, problem,
    h("button", { onclick: () => refreshAll() }, "Retry")));
  if (account.web_push && "PushManager" in window && !account.push_endpoint) {
    card.append(h("button", { id: `notify-${index}`, onclick: () => enablePush(account) }, "Turn on notifications"));
  } else if (account.push_endpoint) {
    card.append(h("p", { class: "muted small" }, "Notifications are on."));
  }
  card.append(h("button", { class: "link", id: `remove-${index}`, onclick: () => removeAccount(account) }, "Remove this account"));
  return card;
}

// A countdown bar; its width is set through the CSSOM (the CSP allows no inline styles).
function bar(index, fraction) {
  const fill = h("span", {});
  fill.style.width = `${Math.round(fraction * 100)}%`;
  return h("div", { class: "bar", id: `bar-${index}` }, fill);
}

function requestCard({ account, request }) {
  const created = new Date(request.created_at);
  const form = h("form", { class: "card request", id: "request", "data-id": request.id, onsubmit: (e) => e.preventDefault() },
    h("h2", {}, "Are you signing in?"),
    h("dl", {},
      h("dt", {}, "Account"), h("dd", { id: "req-account" }, `${account.account_name}: ${request.user}`),
      h("dt", {}, "Application"), h("dd", { id: "req-application" }, request.application || "(not given)"),
      h("dt", {}, "Address"), h("dd", { id: "req-address" }, request.client_address || "(not given)"),
      h("dt", {}, "Time"), h("dd", { id: "req-time" }, created.toLocaleString())));
  if (request.number_matching) {
    form.append(h("label", { for: "number" }, "Type the number shown on the sign-in screen"),
      h("input", { id: "number", class: "digits", inputmode: "numeric", autocomplete: "off", maxlength: "2", pattern: "[0-9]*" }));
  }
  if (request.pin_required) {
    form.append(h("label", { for: "pin" }, "Your PIN"),
      h("input", { id: "pin", class: "digits", type: "password", inputmode: "numeric", autocomplete: "off" }));
  }
  form.append(
    h("div", { class: "row" },
      h("button", { id: "deny", class: "deny", onclick: () => respond(account, request, "deny") }, "Deny"),
      h("button", { id: "approve", class: "approve", onclick: () => respond(account, request, "approve") }, "Approve")),
    h("button", { id: "fraud", class: "fraud", onclick: () => respond(account, request, "fraud") },
      "This wasn't me (report it and block sign-ins)"));
  return form;
}

const OUTCOMES = {
  accepted: { kind: "done", text: "Approved: the sign-in goes ahead." },
  push_denied: { kind: "done", text: "Denied: the sign-in was refused." },
  fraud_reported: { kind: "problem", text: "Reported: the sign-in was refused and your administrator was told." },
  number_mismatch: { kind: "problem", text: "That was not the number on the sign-in screen: the sign-in was refused. Start it again." },
  pin_incorrect: { kind: "problem", text: "The PIN was wrong: the sign-in was refused. Start it again." },
};

async function respond(account, request, choice) {
  if (state.busy) return;
  state.busy = true;
  const number = document.getElementById("number")?.value.trim();
  const pin = document.getElementById("pin")?.value;
  try {
    const answer = await device.answer(account, request.id, choice, number, pin);
    const key = answer.result === "accepted" ? "accepted" : answer.reason;
    state.result = OUTCOMES[key] || { kind: "problem", text: answer.message || `Refused (${answer.reason}).` };
  } catch (e) {
    state.result = { kind: "problem", text: problemText(e) };
  } finally {
    state.busy = false;
  }
  state.requests.delete(request.id);
  if (state.focus === request.id) state.focus = null;
  render();
}

function go(screen) {
  state.screen = screen;
  state.result = null;
  render();
}

function activationForm({ server, code, editable }) {
  const form = h("form", { class: "card", id: "activate-form", onsubmit: (e) => { e.preventDefault(); submitActivation(form, editable); } },
    h("h2", {}, editable ? "Add an account" : "Activate this phone"));
  if (editable) {
    form.append(
      h("label", { for: "server" }, "Server address"),
      h("input", { id: "server", type: "url", value: server, autocomplete: "off" }),
      h("label", { for: "code" }, "Activation code (16 digits)"),
      h("input", { id: "code", class: "digits", inputmode: "numeric", autocomplete: "off" }));
  } else {
    form.append(h("p", {}, `Server: ${host(server)}`));
  }
  form.append(
    h("label", { for: "device-name" }, "Name of this phone"),
    h("input", { id: "device-name", value: device.defaultDeviceName() }),
    h("div", { id: "pin-field", hidden: true },
      h("label", { for: "new-pin" }, "Choose a PIN (you type it with each approval)"),
      h("input", { id: "new-pin", class: "digits", type: "password", inputmode: "numeric", autocomplete: "new-password" })),
    h("p", { id: "activate-problem", class: "problem", hidden: true }),
    h("button", { id: "activate", class: "primary", type: "submit" }, "Activate"),
    h("button", { id: "cancel", type: "button", onclick: () => { state.activation = null; go("home"); } }, "Cancel"));
  return form;
}

// On iOS, a web app added to the Home Screen has storage of its own, and
// only it receives Web Push: there the account must be added from the Home
// Screen app, so Safari shows the code to type in it.
function iosInSafari() {
  const standalone = navigator.standalone === true || matchMedia("(display-mode: standalone)").matches;
  return device.platform() === "ios" && !standalone;
}

function activateScreen() {
  const form = activationForm({ server: state.activation.server, code: state.activation.code, editable: false });
  if (!iosInSafari()) return form;
  const grouped = state.activation.code.match(/.{1,4}/g).join(" ");
  return h("div", {},
    h("div", { class: "card", id: "ios-hint" },
      h("h2", {}, "On iPhone: add to Home Screen first"),
      h("p", {}, "Tap Share, then Add to Home Screen. Open Countersign from the Home Screen, tap Add an account and type this code:"),
      h("p", { class: "code long" }, grouped),
      h("p", { class: "muted small" }, "Notifications on iPhone reach only the app on the Home Screen.")),
    form);
}
const addScreen = () => activationForm({ server: here(), code: "", editable: true });

async function submitActivation(form, editable) {
  const problem = form.querySelector("#activate-problem");
  const pinField = form.querySelector("#pin-field");
  const pin = form.querySelector("#new-pin").value.trim();
  let server, code;
  try {
    server = editable ? device.normalizeServer(form.querySelector("#server").value) : state.activation.server;
    code = editable ? form.querySelector("#code").value.replace(/\D/g, "") : state.activation.code;
  } catch (_) {
    problem.textContent = "The server address is not a URL: type it as https://mfa.example.org/.";
    problem.hidden = false;
    return;
  }
  if (code.length !== 16) {
    problem.textContent = "The activation code is 16 digits: check it and type it again.";
    problem.hidden = false;
    return;
  }
  if (!pinField.hidden && !/^\d{4,12}$/.test(pin)) {
    problem.textContent = "Choose a PIN of 4 to 12 digits.";
    problem.hidden = false;
    return;
  }
  form.querySelector("#activate").disabled = true;
  try {
    const account = await device.activate(server, code, form.querySelector("#device-name").value, pinField.hidden ? null : pin);
    await store.putAccount(account);
    state.accounts.push(account);
    state.activation = null;
    code = null;
    state.result = { kind: "done", text: `Activated: ${account.account_name} for ${account.user}.` };
    state.screen = "home";
    render();
    openStream(account);
    refreshAll();
  } catch (e) {
    form.querySelector("#activate").disabled = false;
    const pinAsked = e instanceof device.ServerError && (e.code === "pin_required" || (e.code === "invalid_request" && /pin/i.test(e.message)));
    if (pinAsked && pinField.hidden) {
      pinField.hidden = false;
      problem.textContent = "This server asks for a PIN with each approval: choose one, then tap Activate.";
    } else {
      problem.textContent = problemText(e);
    }
    problem.hidden = false;
  }
}

async function removeAccount(account) {
  state.streams.get(account.id)?.abort();
  state.streams.delete(account.id);
  if (account.push_endpoint) {
    try { await device.call(account, "DELETE", "/device/v1/webpush"); } catch (_) { /* best effort */ }
  }
  await store.deleteAccount(account.id);
  state.accounts = state.accounts.filter((a) => a.id !== account.id);
  for (const [id, entry] of state.requests) if (entry.account.id === account.id) state.requests.delete(id);
  state.result = { kind: "done", text: `Removed ${account.user} on ${host(account.server)} from this phone. Ask your administrator to remove the device on the server too.` };
  render();
}

// --- being reached when closed: Web Push ---
const PUSH_TIMEOUT_MS = 10000;

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
async function enablePush(account) {
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") throw new Error("Notifications are blocked for this app: allow them in the phone's settings, then try again.");
    const registration = await navigator.serviceWorker.ready;
    const key = device.b64urlDecode(account.web_push.vapid_public_key);
    let subscription = await registration.pushManager.getSubscription();
    if (subscription && subscription.options && subscription.options.applicationServerKey &&
        device.b64(subscription.options.applicationServerKey) !== device.b64(key)) {
      throw new Error("Notifications are already on for another server's account: this phone can be woken by one server only.");
    }
    if (!subscription) {
      state.result = { kind: "done", text: "Turning notifications on…" };
      render();
      subscription = await withTimeout(
        registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }), PUSH_TIMEOUT_MS,
        "The phone's push service did not answer: check that the phone is online, then tap Turn on notifications again.");
    }
    const json = subscription.toJSON();
    await device.call(account, "PUT", "/device/v1/webpush", { endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } });
    account.push_endpoint = json.endpoint;
    await store.putAccount(account);
    state.result = { kind: "done", text: "Notifications are on: sign-in requests reach this phone while the app is closed." };
  } catch (e) {
    state.result = { kind: "problem", text: problemText(e) };
  }
  render();
}

start().catch((e) => view.replaceChildren(h("p", { class: "problem" }, `The app could not start: ${problemText(e)}`)));
