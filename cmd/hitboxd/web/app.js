// hitboxd's dashboard: polls GET /stats every second, browses GET /keys,
// deletes and purges. Plain JavaScript, no dependency; every value from
// the server reaches the page as text (textContent), never as markup.
"use strict";

const POLL_MS = 1000;
const HISTORY = 120; // samples kept for the charts

const $ = (id) => document.getElementById(id);

// el builds an element with text children (strings) or elements.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c === null || c === undefined ? "" : c);
  return e;
}

// ApiError is a failed call: its status and the server's "error".
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// api calls the admin API (relative URLs: it works under a path prefix)
// and returns the decoded JSON; a 401 shows the login form.
async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  let data = null;
  try {
    data = await resp.json();
  } catch (e) {
    data = null;
  }
  if (!resp.ok) {
    const msg = (data && data.error) || resp.status + " " + resp.statusText;
    if (resp.status === 401 && path !== "login") showLogin("");
    throw new ApiError(resp.status, msg);
  }
  return data;
}

// ---- formatting

const nf = new Intl.NumberFormat("en-US");
const fmtInt = (n) => (n === null || n === undefined ? "–" : nf.format(n));
const fmtPct = (x) => (x === null || !isFinite(x) ? "–" : (100 * x).toFixed(1) + " %");
const fmtRate = (x) => (x === null || !isFinite(x) ? "–" : x < 10 ? x.toFixed(1) : nf.format(Math.round(x)));
function fmtMs(seconds) {
  if (seconds === null || !isFinite(seconds)) return "–";
  const ms = seconds * 1000;
  return (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : nf.format(Math.round(ms))) + " ms";
}
function fmtBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
}
const fmtTime = (s) => (s ? s.replace("T", " ").replace(/\.\d+Z$/, "Z") : "never");

// servedFromCache counts the answers that did not wait for the upstream;
// the hit ratio is their share of the cacheable requests (bypasses,
// which no endpoint caches, are left out).
const servedFromCache = (c) => c.hits + c.stale + c.collapsed;
const cacheable = (c) => c.requests - c.bypass;
const ratio = (num, den) => (den > 0 ? num / den : null);

// ---- stats

const history = []; // {t, requests, cached, upstreamCount, upstreamSeconds}
let last = null; // the previous /stats answer
let pollTimer = null;

function startPolling() {
  stopPolling();
  poll();
}

function stopPolling() {
  if (pollTimer !== null) clearTimeout(pollTimer);
  pollTimer = null;
}

async function poll() {
  try {
    const s = await api("GET", "stats");
    render(s);
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
    $("status").className = "muted";
  } catch (e) {
    if (e.status === 401) return; // the login form is up: stop polling
    $("status").textContent = "no answer: " + e.message;
    $("status").className = "error";
  }
  pollTimer = setTimeout(poll, POLL_MS);
}

// perSecond is (cur - prev) / elapsed seconds, or null without a previous
// answer.
function perSecond(cur, prev, dt) {
  return prev === undefined || prev === null || dt <= 0 ? null : Math.max(0, cur - prev) / dt;
}

function render(s) {
  const t = Date.parse(s.time) / 1000;
  const dt = last ? t - Date.parse(last.time) / 1000 : 0;
  const prev = last || {};

  const rps = perSecond(s.requests, prev.requests, dt);
  const dReq = last ? cacheable(s) - cacheable(last) : 0;
  const dCached = last ? servedFromCache(s) - servedFromCache(last) : 0;
  const dUpN = last ? s.upstream_time.count - last.upstream_time.count : 0;
  const dUpS = last ? s.upstream_time.seconds - last.upstream_time.seconds : 0;
  const intervalRatio = ratio(dCached, dReq);
  const intervalLatency = dUpN > 0 ? dUpS / dUpN : null;
  const overallLatency = s.upstream_time.count > 0 ? s.upstream_time.seconds / s.upstream_time.count : null;

  $("c-ratio").textContent = fmtPct(intervalRatio === null ? ratio(servedFromCache(s), cacheable(s)) : intervalRatio);
  $("c-ratio-all").textContent = "since start " + fmtPct(ratio(servedFromCache(s), cacheable(s)));
  $("c-rps").textContent = fmtRate(rps);
  $("c-requests-all").textContent = fmtInt(s.requests) + " requests";
  for (const k of ["hits", "stale", "misses", "bypass", "collapsed"]) $("c-" + k).textContent = fmtInt(s[k]);
  $("c-latency").textContent = fmtMs(intervalLatency === null ? overallLatency : intervalLatency);
  $("c-upstream").textContent = fmtInt(s.upstream) + " calls, " + fmtInt(s.upstream_errors) + " failed";
  $("c-entries").textContent = fmtInt(s.entries);
  $("c-bytes").textContent = fmtBytes(s.bytes);

  if (last) {
    history.push({ rps, ratio: intervalRatio, latency: intervalLatency });
    if (history.length > HISTORY) history.shift();
  }
  drawChart($("chart-rps"), history.map((h) => h.rps));
  drawChart($("chart-ratio"), history.map((h) => (h.ratio === null ? null : 100 * h.ratio)), 100);
  drawChart($("chart-latency"), history.map((h) => (h.latency === null ? null : 1000 * h.latency)));

  renderEndpoints(s, prev.endpoints || {}, dt);
  renderBackends(s);
  renderBackground(s);
  last = s;
}

function renderEndpoints(s, prevEndpoints, dt) {
  const body = $("endpoints").tBodies[0];
  const rows = [];
  for (const name of Object.keys(s.endpoints).sort()) {
    const c = s.endpoints[name];
    const p = prevEndpoints[name];
    const up = s.upstream_time_by_endpoint[name] || { count: 0, seconds: 0 };
    rows.push(
      el(
        "tr",
        { "data-endpoint": name },
        el("td", {}, name || "(none)"),
        el("td", {}, fmtRate(perSecond(c.requests, p && p.requests, dt))),
        el("td", {}, fmtInt(c.requests)),
        el("td", {}, fmtPct(ratio(servedFromCache(c), cacheable(c)))),
        el("td", {}, fmtInt(c.hits)),
        el("td", {}, fmtInt(c.stale)),
        el("td", {}, fmtInt(c.misses)),
        el("td", {}, fmtInt(c.bypass)),
        el("td", {}, fmtInt(c.collapsed)),
        el("td", {}, fmtInt(c.upstream)),
        el("td", {}, fmtInt(c.upstream_errors)),
        el("td", {}, fmtMs(up.count > 0 ? up.seconds / up.count : null)),
        el("td", {}, fmtInt(c.revalidations)),
      ),
    );
  }
  if (rows.length === 0) rows.push(el("tr", {}, el("td", { colSpan: 13, class: "muted" }, "no request yet")));
  body.replaceChildren(...rows);
}

function renderBackends(s) {
  const body = $("backends").tBodies[0];
  const rows = [];
  const labels = new Set([...Object.keys(s.backends), ...Object.keys(s.breakers)]);
  for (const label of [...labels].sort()) {
    const b = s.backends[label] || {};
    const st = b.store || {};
    const known = (n) => (n === undefined || n < 0 ? null : n);
    const breaker = s.breakers[label] || "";
    rows.push(
      el(
        "tr",
        { "data-backend": label },
        el("td", {}, label),
        el("td", {}, fmtInt(b.hits)),
        el("td", {}, fmtInt(b.stale)),
        el("td", {}, fmtInt(b.misses)),
        el("td", {}, fmtInt(b.stored)),
        el("td", {}, fmtInt(b.read_errors)),
        el("td", {}, fmtInt(b.write_errors)),
        el("td", {}, fmtInt(known(st.entries))),
        el("td", {}, fmtBytes(known(st.bytes))),
        el("td", {}, fmtInt(st.evictions)),
        el("td", {}, fmtInt(st.errors)),
        el("td", { class: "breaker-" + (breaker || "none") }, breaker || "–"),
      ),
    );
  }
  body.replaceChildren(...rows);
}

function renderBackground(s) {
  const bg = s.background;
  const dl = $("background");
  if (!bg) {
    dl.replaceChildren(el("dt", {}, "runner"), el("dd", {}, "–"));
    return;
  }
  const items = [
    ["running now", bg.running],
    ["started", bg.started],
    ["completed", bg.completed],
    ["deduplicated", bg.deduplicated],
    ["dropped (full)", bg.dropped],
    ["timed out", bg.timed_out],
    ["refreshes started", s.revalidations],
  ];
  dl.replaceChildren(...items.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-name": k }, fmtInt(v))]));
}

// fmtAxis writes an axis value with two significant digits at most.
function fmtAxis(v) {
  if (v >= 100) return nf.format(Math.round(v));
  return String(Number(v.toPrecision(2)));
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// drawChart draws values (null: no point) as a line on canvas, scaled to
// fixedMax or to the largest value.
function drawChart(canvas, values, fixedMax) {
  canvas.dataset.points = String(values.length);
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const style = getComputedStyle(canvas);
  const pad = { l: 44, r: 8, t: 8, b: 16 };
  const pw = w - pad.l - pad.r;
  const ph = h - pad.t - pad.b;
  let max = 0;
  for (const v of values) if (v !== null && v > max) max = v;
  max = fixedMax || niceCeil(max);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = style.getPropertyValue("--muted") || "#777";
  ctx.strokeStyle = style.getPropertyValue("--grid") || "#ddd";
  ctx.lineWidth = 1;
  for (let i = 0; i <= 2; i++) {
    const y = pad.t + (ph * i) / 2;
    ctx.beginPath();
    ctx.moveTo(pad.l, y);
    ctx.lineTo(pad.l + pw, y);
    ctx.stroke();
    ctx.fillText(fmtAxis((max * (2 - i)) / 2), 2, y + 4);
  }
  ctx.fillText(HISTORY + " s", pad.l, h - 2);
  ctx.strokeStyle = style.getPropertyValue("--accent") || "#2a6";
  ctx.lineWidth = 2;
  ctx.beginPath();
  let drawing = false;
  values.forEach((v, i) => {
    if (v === null) {
      drawing = false;
      return;
    }
    const x = pad.l + pw * ((i + HISTORY - values.length) / (HISTORY - 1));
    const y = pad.t + ph * (1 - v / max);
    if (drawing) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    drawing = true;
  });
  ctx.stroke();
}

// ---- keys

const keys = { prefix: "", expired: false, limit: 50, cursors: [""] }; // cursors: the after of each page seen

async function loadKeys() {
  const after = keys.cursors[keys.cursors.length - 1];
  const q = new URLSearchParams({ limit: String(keys.limit) });
  if (keys.prefix) q.set("prefix", keys.prefix);
  if (keys.expired) q.set("expired", "true");
  if (after) q.set("after", after);
  $("keys-info").textContent = "loading…";
  try {
    const ans = await api("GET", "keys?" + q.toString());
    renderKeys(ans);
  } catch (e) {
    $("keys-info").textContent = "cannot list: " + e.message;
    $("keys-info").className = "error";
  }
}

function renderKeys(ans) {
  const page = keys.cursors.length;
  const first = (page - 1) * keys.limit + 1;
  $("keys-info").className = "muted";
  $("keys-info").textContent =
    ans.keys.length === 0
      ? fmtInt(ans.count) + " entries match; none on this page"
      : fmtInt(ans.count) + " entries match; page " + page + " shows " + fmtInt(first) + "–" + fmtInt(first + ans.keys.length - 1);
  const rows = ans.keys.map((k) => {
    const parts = (k.parts || []).map((p) => (p.value === null ? p.name : p.name + "=" + p.value)).join(", ");
    const where = [k.endpoint, k.host, k.variant ? "variant " + k.variant : ""].filter(Boolean).join(" · ");
    const del = el("button", { type: "button", class: "danger small" }, "Delete");
    del.addEventListener("click", () => deleteKey(k.key));
    return el(
      "tr",
      { "data-key": k.key },
      el("td", { class: "key", title: k.key }, k.key),
      el("td", {}, where || "–"),
      el("td", { class: "parts" }, k.parts === null ? "(not a hitbox key)" : parts || "(none)"),
      el("td", { class: "state-" + k.state }, k.state),
      el("td", {}, k.size === undefined ? "–" : fmtBytes(k.size)),
      el("td", {}, fmtTime(k.written)),
      el("td", {}, fmtTime(k.stale)),
      el("td", {}, fmtTime(k.expire)),
      el("td", {}, (k.tags || []).join(", ")),
      el("td", {}, del),
    );
  });
  $("keys").tBodies[0].replaceChildren(...rows);
  $("keys-next").disabled = !ans.truncated;
  $("keys-next").onclick = () => {
    keys.cursors.push(ans.next);
    loadKeys();
  };
  $("keys-prev").disabled = page <= 1;
  $("keys-first").disabled = page <= 1;
}

async function deleteKey(key) {
  if (!(await confirmDialog("Delete the entry " + key + "?"))) return;
  try {
    const ans = await api("DELETE", "keys?" + new URLSearchParams({ key }).toString());
    $("keys-result").textContent = ans.deleted ? "deleted " + key : key + " was already gone";
    $("keys-result").className = "ok";
  } catch (e) {
    $("keys-result").textContent = "cannot delete " + key + ": " + e.message;
    $("keys-result").className = "error";
    return;
  }
  loadKeys();
}

// ---- purge

async function purge(body, what) {
  if (!(await confirmDialog("Purge " + what + "? This cannot be undone."))) return;
  const out = $("purge-result");
  try {
    const ans = await api("POST", "purge", body);
    out.textContent = "purged " + what + ": " + fmtInt(ans.deleted) + " entries deleted";
    out.className = "ok";
  } catch (e) {
    out.textContent = "cannot purge " + what + ": " + e.message;
    out.className = "error";
  }
  loadKeys();
}

// confirmDialog asks yes or no in a modal dialog of the page. A dialog's
// "close" event is queued: the one of an earlier question (answered just
// before this one was asked) may arrive while this one is open, so each
// question answers only to its own closing.
let confirmSeq = 0;
function confirmDialog(text) {
  const d = $("confirm");
  const seq = ++confirmSeq;
  $("confirm-text").textContent = text;
  return new Promise((resolve) => {
    const onClose = () => {
      if (seq === confirmSeq && d.open) return; // an earlier question's close
      d.removeEventListener("close", onClose);
      resolve(seq === confirmSeq && d.returnValue === "yes");
    };
    d.addEventListener("close", onClose);
    d.returnValue = "";
    d.showModal();
  });
}

// ---- login

function showLogin(message) {
  stopPolling();
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("status").textContent = "logged out";
  $("status").className = "muted";
  $("token").focus();
}

function showApp() {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  last = null;
  history.length = 0;
  startPolling();
  loadKeys();
}

async function login(ev) {
  ev.preventDefault();
  try {
    await api("POST", "login", { token: $("token").value });
    $("token").value = "";
    showApp();
  } catch (e) {
    $("login-error").textContent = e.status === 401 ? "wrong token" : e.message;
  }
}

async function logout() {
  try {
    await api("POST", "logout");
  } finally {
    start();
  }
}

// start shows the dashboard when the API answers (no token configured,
// or a session cookie), and the login form otherwise.
async function start() {
  stopPolling();
  try {
    await api("GET", "stats");
    showApp();
  } catch (e) {
    if (e.status !== 401) {
      $("status").textContent = "no answer: " + e.message;
      $("status").className = "error";
      setTimeout(start, POLL_MS);
    }
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("keys-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    keys.prefix = $("prefix").value;
    keys.expired = $("expired").checked;
    keys.limit = Number($("limit").value);
    keys.cursors = [""];
    loadKeys();
  });
  $("keys-first").addEventListener("click", () => {
    keys.cursors = [""];
    loadKeys();
  });
  $("keys-prev").addEventListener("click", () => {
    keys.cursors.pop();
    loadKeys();
  });
  $("purge-prefix-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const prefix = $("purge-prefix").value;
    purge({ prefix }, prefix ? "every key under " + prefix : "EVERY entry");
  });
  $("purge-tags-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const tags = $("purge-tags").value.split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length > 0) purge({ tags }, "the tags " + tags.join(", "));
  });
  start();
});
