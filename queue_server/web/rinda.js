// Rinda in the browser: what the clerk and admin consoles share.
//
//   Connection  one WebSocket to /ws that says hello, keeps the last sequence number,
//               reconnects with backoff and resumes from it (docs/protocol.md).
//   i18n        the catalogs the server serves as /i18n/<lang>.json; t(key, params).
//   DOM         element builders that only ever set text (never HTML from data).
//
// Plain ES module, no dependencies, no build step.

export const LANGUAGES = ["lv", "en", "ru", "uk"];

// ------------------------------------------------------------------------ i18n

let texts = {};
let currentLang = "lv";

/** Load the catalog of `lang` from the server; Latvian when that fails. */
export async function loadLanguage(lang) {
  const wanted = LANGUAGES.includes(lang) ? lang : "lv";
  const response = await fetch(`/i18n/${wanted}.json`, { cache: "no-store" });
  if (!response.ok) throw new Error(`/i18n/${wanted}.json: ${response.status}`);
  texts = await response.json();
  currentLang = wanted;
  document.documentElement.lang = wanted;
  return wanted;
}

export function lang() {
  return currentLang;
}

/** The text of `key` with `{name}` filled in; the key itself when it is missing. */
export function t(key, params = {}) {
  const template = texts[key];
  if (template === undefined) return key;
  return template.replace(/\{\{|\}\}|\{(\w+)\}/g, (match, name) => {
    if (match === "{{") return "{";
    if (match === "}}") return "}";
    return name in params ? String(params[name]) : match;
  });
}

export function has(key) {
  return texts[key] !== undefined;
}

/** The catalog's keys that start with `prefix`, in the catalog's order. */
export function keys(prefix) {
  return Object.keys(texts).filter((key) => key.startsWith(prefix));
}

/** A configured text in the current language: `{lv: …, en: …}`, Latvian as fallback. */
export function local(map) {
  if (!map || typeof map !== "object") return "";
  return map[currentLang] || map.lv || Object.values(map)[0] || "";
}

/** Fill every `data-t` (text), `data-t-label` (aria-label) and `data-t-placeholder`. */
export function translate(root = document) {
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of root.querySelectorAll("[data-t-label]")) {
    node.setAttribute("aria-label", t(node.dataset.tLabel));
  }
  for (const node of root.querySelectorAll("[data-t-placeholder]")) {
    node.setAttribute("placeholder", t(node.dataset.tPlaceholder));
  }
}

/** An error from the server in plain words: the catalog's sentence for its code
 *  (domain codes under `error.`, protocol codes under `console.error.`), and the
 *  server's own message, which is never dropped. */
export function explain(error) {
  const message = error && error.message ? String(error.message) : String(error);
  const code = error && error.code;
  for (const key of [`error.${code}`, `console.error.${code}`]) {
    if (code && has(key)) return { text: t(key), detail: message };
  }
  return { text: message, detail: "" };
}

// ------------------------------------------------------------------------- DOM

/** `el("li", {class: "x", "aria-current": "step"}, "text", child)`: text only. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) throw new Error("no inline handlers: use addEventListener");
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace the children of `node` with `children` (text or nodes). */
export function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function $(selector, root = document) {
  const found = root.querySelector(selector);
  if (!found) throw new Error(`missing element ${selector}`);
  return found;
}

// --------------------------------------------------------------------- time

/** "09:05" for an instant, in the division's time zone. */
export function clock(ms, timeZone = "Europe/Riga") {
  if (ms === null || ms === undefined) return "";
  return new Intl.DateTimeFormat("lv-LV", {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone,
  }).format(new Date(ms));
}

// ---------------------------------------------------------------- connection

/** Forget what a console logged in with: the password and the session token. */
export function forgetLogin(login) {
  Object.assign(login, { password: null, session: null, expires: null });
}

/** Why a reconnect's hello was refused, in words: an ended session (expired, logged
 *  out, password changed), or the server's own reason. */
export function refusal(error) {
  const { text, detail } = explain(error);
  return {
    text: error.code === "auth_failed" ? t("console.session_ended") : text,
    detail: detail || error.message,
  };
}

/** Log out: end the session on the server if there is one, then close for good. */
export async function logOut(connection, login) {
  if (!connection) return;
  try {
    if (login.session) await connection.request("logout");
  } catch {
    // Logging out anyway: the connection closes and the caller forgets the token.
  }
  connection.stop();
}

/** The console's connection mark (`#link`): connecting, connected, reconnecting. */
export function showLink(state) {
  const link = $("#link");
  link.hidden = state === "closed";
  link.className = `link link-${state}`;
  link.textContent = {
    connecting: t("console.connecting"),
    open: t("console.connected"),
    reconnecting: t("console.reconnecting"),
  }[state] || "";
}

/** The WebSocket URL of this page's server: ws: for http:, wss: for https:. */
export function socketUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

/** A failed request: the server's `error` (code, message, details), or a lost one. */
export class RequestError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.code = code;
    this.details = details || {};
  }
}

/**
 * One authenticated connection that keeps itself alive, like queue_server/client.py.
 *
 *   const conn = new Connection({ hello: () => ({division, user, password, counter}) });
 *   conn.addEventListener("message", (e) => …e.detail…);   // snapshot, event, queues
 *   conn.addEventListener("state", (e) => …e.detail…);     // connecting, open, reconnecting, closed
 *   const welcome = await conn.start();                    // rejects with the hello's error
 *   const result = await conn.request("call_next");        // rejects with RequestError
 *
 * `hello()` is asked again for each reconnect (a session token may replace the
 * password meanwhile); `resume_from` is added from the last sequence number seen.
 * `refused(error)` is called when a reconnect's hello is refused: no retry then.
 */
export class Connection extends EventTarget {
  constructor({ hello, url = socketUrl(), backoff = [250, 5000], timeout = 10000 }) {
    super();
    this.hello = hello;
    this.url = url;
    this.backoff = backoff;
    this.timeout = timeout;
    this.seq = null;
    this.state = "closed";
    this.welcome = null;
    this._ws = null;
    this._ids = 1;
    this._pending = new Map();
    this._stopped = true;
    this._delay = backoff[0];
    this._timer = null;
  }

  /** Connect and say hello; resolves with the welcome, rejects with its error. */
  start() {
    this._stopped = false;
    this._delay = this.backoff[0];
    return new Promise((resolve, reject) => this._open({ resolve, reject }));
  }

  /** Close for good (logout): no reconnect. */
  stop() {
    this._stopped = true;
    clearTimeout(this._timer);
    if (this._ws) this._ws.close(1000);
    this._ws = null;
    this._failPending();
    this._setState("closed");
  }

  request(type, fields = {}) {
    if (this.state !== "open" || !this._ws) {
      return Promise.reject(new RequestError("lost", "Not connected."));
    }
    const id = this._ids++;
    const message = { type, id };
    for (const [key, value] of Object.entries(fields)) {
      if (value !== null && value !== undefined && value !== "") message[key] = value;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new RequestError("timeout", `No answer to ${type}.`));
      }, this.timeout);
      this._pending.set(id, { resolve, reject, timer });
      this._ws.send(JSON.stringify(message));
    });
  }

  _setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }

  _open(first) {
    this._setState(first ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      if (first) first.reject(new RequestError("lost", String(error)));
      return;
    }
    this._ws = ws;
    let welcomed = false;
    ws.addEventListener("open", () => {
      const hello = { type: "hello", id: "hello", ...this.hello() };
      if (this.seq !== null && !first) hello.resume_from = this.seq;
      for (const key of Object.keys(hello)) {
        if (hello[key] === null || hello[key] === undefined || hello[key] === "") delete hello[key];
      }
      ws.send(JSON.stringify(hello));
    });
    ws.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!welcomed) {
        if (message.type === "welcome") {
          welcomed = true;
          this.welcome = message;
          this._delay = this.backoff[0];
          this._setState("open", { welcome: message, resumed: !first });
          if (first) first.resolve(message);
          return;
        }
        if (message.type === "error") {
          const error = new RequestError(message.code, message.message, message.details);
          this._stopped = true;
          ws.close(1000);
          if (first) first.reject(error);
          else this.dispatchEvent(new CustomEvent("refused", { detail: error }));
          return;
        }
      }
      this._dispatch(message);
    });
    ws.addEventListener("close", () => {
      if (this._ws !== ws) return;
      this._ws = null;
      this._failPending();
      if (first && !welcomed && !this._stopped) {
        this._stopped = true;
        first.reject(new RequestError("lost", "Cannot reach the server."));
        this._setState("closed");
        return;
      }
      if (this._stopped) {
        this._setState("closed");
        return;
      }
      this._setState("reconnecting");
      const wait = this._delay * (0.5 + Math.random());
      this._delay = Math.min(this._delay * 2, this.backoff[1]);
      this._timer = setTimeout(() => this._open(null), wait);
    });
  }

  _dispatch(message) {
    const pending = message.type === "result" || message.type === "error"
      ? this._pending.get(message.id)
      : undefined;
    if (pending) {
      this._pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.type === "result") pending.resolve(message);
      else pending.reject(new RequestError(message.code, message.message, message.details));
      return;
    }
    if ((message.type === "snapshot" || message.type === "event") && Number.isInteger(message.seq)) {
      this.seq = Math.max(this.seq ?? 0, message.seq);
    }
    this.dispatchEvent(new CustomEvent("message", { detail: message }));
  }

  /** A snapshot taken by request (or in a sync result) moves the resume point too. */
  saw(seq) {
    if (Number.isInteger(seq)) this.seq = Math.max(this.seq ?? 0, seq);
  }

  _failPending() {
    for (const { reject, timer } of this._pending.values()) {
      clearTimeout(timer);
      reject(new RequestError("lost", "The connection dropped before the answer came."));
    }
    this._pending.clear();
  }
}
