// The admin console: a live board of the division, its configuration applied live,
// appointments booked by phone, statistics with charts and CSV, and the audit trail.
//
// The page keeps the parts of the staff snapshot the board needs (counters, alerts,
// printers, bookings, hours exceptions) and folds the events it receives into them;
// queue summaries and device presence come as their own messages. Nothing is
// polled: a configuration event, an undo or a new day makes it ask for a fresh
// snapshot. Every text from configuration or visitors is set as text, never as HTML.
// The password and the session token live in this page's memory only.

import {
  $, Connection, LANGUAGES, RequestError, clock, el, explain, fill, has, keys, lang,
  forgetLogin, loadLanguage, local, logOut, refusal, showLink, t, translate,
} from "/rinda.js";

const STORE = window.localStorage; // the language and the division only: nothing secret
const DEFAULT_TARGET_MINUTES = 20;
const MINUTE = 60_000;
const SVG = "http://www.w3.org/2000/svg";
/** Events after which the page's copy of the configuration is stale. */
const RESYNC_EVENTS = new Set([
  "counter_configured", "service_configured", "priority_configured", "notes_set",
  "day_opened", "day_closed", "action_undone",
]);
/** Event types an admin may filter the audit trail by. */
const EVENT_TYPES = [
  "counter_configured", "service_configured", "priority_configured", "notes_set",
  "hours_exception_set", "hours_exception_cleared", "appointment_booked", "appointment_moved",
  "appointment_cancelled", "counter_opened", "counter_closed", "counter_paused",
  "counter_resumed", "visit_issued", "visit_called", "visit_recalled", "visit_missed",
  "visit_returned", "visit_cancelled", "service_started", "step_finished", "visit_transferred",
  "action_undone", "manager_alerted", "alert_answered", "printer_reported", "visit_rated",
];
const PRINTER_FAULTS = new Set(["paper_out", "offline"]);

// ----------------------------------------------------------------------- state

const login = { division: "", user: "", password: null, session: null, expires: null };

const model = {
  ready: false,
  seq: -1,
  day: null,
  info: null,              // snapshot.division: services, priorities, counters, notes…
  counters: new Map(),     // id -> {id, status, clerk, current, since}
  queues: {},
  queuesAt: 0,             // when the queue summary arrived (this browser's clock)
  alerts: new Map(),       // counter -> {counter, at, clerk, note}
  printers: {},            // device id -> status
  appointments: new Map(), // code -> {code, services, due, priority, status, number}
  exceptions: [],
  devices: new Map(),      // id -> {id, kind, name, connected, printer, revoked}
  devicesProblem: null,
  users: new Map(),        // id -> {id, username, role, active}
  actor: null,
};

let conn = null;
let linkState = "closed";
let resyncing = false;
let tab = "board";
let bookOrder = [];        // the services of the booking being made, in the order chosen
let movingCode = null;
let report = null;         // the last statistics report and its request
let auditRows = [];
let accountChanges = [];
let auditMore = false;
let auditFilter = {};

// ----------------------------------------------------------------------- start

document.addEventListener("DOMContentLoaded", start);

async function start() {
  const params = new URLSearchParams(location.search);
  try {
    await loadLanguage(STORE.getItem("rinda.lang") || "lv");
  } catch {
    await loadLanguage("lv").catch(() => {});
  }
  buildLanguagePicker();
  translate();
  $("#login-division").value = params.get("division") || STORE.getItem("rinda.admin.division") || "";
  $("#login-form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", onLogout);
  $("#problem-close").addEventListener("click", () => showProblem(null));
  for (const button of document.querySelectorAll(".tab")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  $(".tabs").addEventListener("keydown", onTabKey);
  wireConfiguration();
  wireBookings();
  wireStatistics();
  wireAudit();
  $("#dlg-secret-copy").addEventListener("click", copySecret);
  $("#dlg-secret-done").addEventListener("click", () => $("#dlg-secret").close());
  $("#dlg-secret").addEventListener("close", () => {
    $("#dlg-secret-value").value = ""; // shown once: gone from the page when closed
    fill($("#dlg-secret-copied"));
  });
  // The longest waits grow between queue summaries: redraw the board now and then
  // from what the page already has (no request to the server).
  setInterval(() => {
    if (tab === "board") renderBoard();
  }, 15_000);
  showLogin();
}

function buildLanguagePicker() {
  const select = $("#lang");
  fill(select, ...LANGUAGES.map((code) => el("option", { value: code, lang: code }, t(`language.${code}`))));
  select.value = lang();
  select.addEventListener("change", async () => {
    await loadLanguage(select.value);
    STORE.setItem("rinda.lang", lang());
    for (const option of select.options) option.textContent = t(`language.${option.value}`);
    translate();
    document.title = `${t("admin.title")} · Rinda`;
    renderAll();
  });
}

// ------------------------------------------------------------------ logging in

function showLogin(message = "", detail = "") {
  $("#console").hidden = true;
  $("#logout").hidden = true;
  $("#where").hidden = true;
  $("#reconnecting").hidden = true;
  $("#login").hidden = false;
  showLink("closed");
  for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  const box = $("#login-error");
  box.hidden = !message;
  fill(box, message ? el("span", {}, message) : null,
    detail && detail !== message ? el("span", { class: "problem-detail" }, t("console.server_said", { message: detail })) : null);
  const first = ["#login-division", "#login-user", "#login-password"].map((s) => $(s)).find((i) => !i.value);
  (first || $("#login-password")).focus();
}

function hello() {
  const fields = { division: login.division, user: login.user };
  if (login.session) fields.session = login.session;
  else fields.password = login.password;
  return fields;
}

async function onLogin(event) {
  event.preventDefault();
  const division = $("#login-division").value.trim();
  const user = $("#login-user").value.trim();
  const password = $("#login-password").value;
  if (!division || !user || !password) {
    showLogin(t("admin.login.required"));
    return;
  }
  Object.assign(login, { division, user, password, session: null, expires: null });
  $("#login-password").value = "";
  const submit = $("#login-submit");
  submit.disabled = true;
  submit.textContent = t("console.login.working");
  try {
    await connect();
  } catch (error) {
    login.password = null;
    const { text, detail } = loginError(error);
    showLogin(text, detail);
  } finally {
    submit.disabled = false;
    submit.textContent = t("console.login.submit");
  }
}

/** A refused login in plain words; a clerk's account is told so. */
function loginError(error) {
  if (error.code === "missing_field" && error.details?.field === "counter") {
    return { text: t("admin.login.not_admin"), detail: error.message };
  }
  if (error.code === "forbidden") return { text: t("admin.login.not_admin"), detail: error.message };
  return explain(error);
}

async function connect() {
  resetModel();
  const connection = new Connection({ hello });
  connection.addEventListener("message", (e) => onMessage(e.detail));
  connection.addEventListener("state", (e) => onLinkState(e.detail));
  connection.addEventListener("refused", (e) => onRefused(e.detail));
  conn = connection;
  let welcome;
  try {
    welcome = await connection.start();
  } catch (error) {
    if (conn === connection) conn = null;
    throw error;
  }
  if (welcome.role !== "admin") {
    // The server would refuse every request of this page (forbidden): say so now.
    conn = null;
    connection.stop();
    throw new RequestError("forbidden", `A ${welcome.role} account may not use the admin console.`);
  }
  onWelcome(welcome);
}

function onWelcome(welcome) {
  model.actor = welcome.actor;
  if (welcome.session) {
    login.session = welcome.session;
    login.expires = welcome.session_expires ?? null;
    login.password = null; // the session token does from now on
  }
  STORE.setItem("rinda.admin.division", login.division);
  $("#login").hidden = true;
  $("#console").hidden = false;
  $("#logout").hidden = false;
  showProblem(null);
  showTab(tab, false);
  loadDevices();
  loadUsers();
  renderAll();
  document.querySelector(`.tab[data-tab="${tab}"]`).focus();
}

function onRefused(error) {
  // A reconnect's hello was refused: the session expired or ended, the account changed.
  conn = null;
  forgetLogin(login);
  const { text, detail } = refusal(error);
  showLogin(text, detail);
}

async function onLogout() {
  const connection = conn;
  conn = null;
  await logOut(connection, login);
  forgetLogin(login);
  resetModel();
  showLogin(t("console.logged_out"));
}

// ------------------------------------------------------------------ connection

function onLinkState({ state, resumed }) {
  const was = linkState;
  linkState = state;
  showLink(state);
  $("#reconnecting").hidden = state !== "reconnecting" || $("#console").hidden;
  if (state === "open" && resumed && was === "reconnecting") {
    // Presence and device lists are not replayed: ask again.
    loadDevices();
  }
}

function onMessage(message) {
  switch (message.type) {
    case "snapshot":
      applySnapshot(message);
      break;
    case "event":
      onEvent(message.seq, message.event);
      break;
    case "queues":
      model.queues = message.queues || {};
      model.queuesAt = Date.now();
      renderBoard();
      break;
    case "presence":
      onPresence(message);
      break;
    case "error":
      showProblem(new RequestError(message.code, message.message, message.details));
      break;
    default:
      break;
  }
}

function resetModel() {
  Object.assign(model, {
    ready: false, seq: -1, day: null, info: null, counters: new Map(), queues: {}, queuesAt: 0,
    alerts: new Map(), printers: {}, appointments: new Map(), exceptions: [],
    devices: new Map(), devicesProblem: null, users: new Map(), actor: null,
  });
  resyncing = false;
}

function applySnapshot(snapshot) {
  const state = snapshot.state || {};
  model.info = snapshot.division || {};
  model.day = snapshot.day || state.day || null;
  model.queues = snapshot.queues || {};
  model.queuesAt = Date.now();
  model.counters = new Map((state.counters || snapshot.counters || []).map((c) => [c.id, {
    id: c.id, status: c.status, clerk: c.clerk ?? null, current: c.current ?? null, since: c.since ?? null,
  }]));
  model.alerts = new Map((state.alerts || []).map((a) => [a.counter, a]));
  model.printers = { ...(state.printers || {}) };
  model.appointments = new Map((state.appointments || []).map((a) => [a.code, { ...a }]));
  model.exceptions = (state.exceptions || []).slice();
  model.seq = snapshot.seq;
  model.ready = true;
  conn?.saw(snapshot.seq);
  if (!$("#book-day").value && model.day) $("#book-day").value = model.day;
  if (!$("#book-list-day").value && model.day) $("#book-list-day").value = model.day;
  if (!$("#stats-start").value && model.day) $("#stats-start").value = model.day;
  renderAll();
}

async function resync() {
  if (!conn || resyncing) return;
  resyncing = true;
  try {
    const reply = await conn.request("snapshot");
    resyncing = false;
    applySnapshot(reply.snapshot);
  } catch (error) {
    resyncing = false;
    if (error.code !== "lost") showProblem(error);
  }
}

function onEvent(seq, ev) {
  if (!model.ready || seq <= model.seq) return;
  model.seq = seq;
  if (RESYNC_EVENTS.has(ev.type)) {
    resync();
    return;
  }
  fold(ev);
  renderBoard();
  if (ev.type.startsWith("appointment_") || ev.type === "visit_issued") renderBookingList();
  if (ev.type.startsWith("hours_exception")) renderExceptions();
}

function counterOf(id) {
  let counter = model.counters.get(id);
  if (!counter) {
    counter = { id, status: "closed", clerk: null, current: null, since: null };
    model.counters.set(id, counter);
  }
  return counter;
}

/** Apply one staff event to what the board shows. */
function fold(ev) {
  const at = ev.at ?? null;
  const freeCounter = () => {
    for (const counter of model.counters.values()) {
      if (counter.current === ev.number) Object.assign(counter, { current: null, since: at });
    }
  };
  switch (ev.type) {
    case "counter_opened":
      Object.assign(counterOf(ev.counter), { status: "open", clerk: ev.clerk ?? null, since: at });
      break;
    case "counter_closed":
      Object.assign(counterOf(ev.counter), { status: "closed", clerk: null, current: null, since: at });
      break;
    case "counter_paused":
      Object.assign(counterOf(ev.counter), { status: "paused", since: at });
      break;
    case "counter_resumed":
      Object.assign(counterOf(ev.counter), { status: "open", since: at });
      break;
    case "visit_called":
      freeCounter();
      Object.assign(counterOf(ev.counter), { current: ev.number, since: at });
      break;
    case "visit_missed":
    case "step_finished":
    case "visit_transferred":
    case "visit_cancelled":
      freeCounter();
      break;
    case "visit_issued":
      if (ev.appointment && model.appointments.has(ev.appointment)) {
        Object.assign(model.appointments.get(ev.appointment), { status: "checked_in", number: ev.number });
      }
      break;
    case "printer_reported":
      model.printers[ev.device] = ev.status;
      if (model.devices.has(ev.device)) model.devices.get(ev.device).printer = ev.status;
      break;
    case "manager_alerted":
      model.alerts.set(ev.counter, { counter: ev.counter, at, clerk: ev.clerk ?? null, note: ev.note ?? null });
      break;
    case "alert_answered":
      model.alerts.delete(ev.counter);
      break;
    case "appointment_booked":
      model.appointments.set(ev.code, {
        code: ev.code, services: ev.services || [], due: ev.due, priority: ev.priority ?? null,
        status: "booked", number: null,
      });
      break;
    case "appointment_moved":
      if (model.appointments.has(ev.code)) model.appointments.get(ev.code).due = ev.due;
      break;
    case "appointment_cancelled":
      if (model.appointments.has(ev.code)) model.appointments.get(ev.code).status = "cancelled";
      break;
    case "hours_exception_set":
      model.exceptions = model.exceptions.filter((x) => x.day !== ev.day);
      model.exceptions.push({ day: ev.day, open_min: ev.open_min ?? null, close_min: ev.close_min ?? null, note: ev.note ?? null });
      break;
    case "hours_exception_cleared":
      model.exceptions = model.exceptions.filter((x) => x.day !== ev.day);
      break;
    default:
      break;
  }
}

function onPresence(message) {
  const device = message.device || {};
  if (!device.id) return;
  const known = model.devices.get(device.id) || { printer: null, revoked: false };
  model.devices.set(device.id, { ...known, ...device, connected: !!message.connected });
  renderBoard();
  renderDevices();
}

// -------------------------------------------------------------------- requests

/** Send a request; on a refusal show it in plain words (in `box`, or the page's) and
 *  return null. Buttons of the form that sent it are disabled meanwhile. */
async function ask(type, fields = {}, box = null, form = null) {
  if (!conn) return null;
  const buttons = form ? [...form.querySelectorAll("button")] : [];
  for (const button of buttons) button.disabled = true;
  try {
    const reply = await conn.request(type, fields);
    if (box) showProblem(null, box);
    return reply;
  } catch (error) {
    showProblem(error, box);
    return null;
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

function notify(message) {
  const notice = $("#notice");
  fill(notice, message ? el("span", { class: "icon", "aria-hidden": "true" }, "✓ ") : null, message || "");
}

async function loadDevices() {
  if (!conn) return;
  try {
    const reply = await conn.request("list_devices");
    model.devices = new Map((reply.devices || []).map((d) => [d.id, d]));
    for (const [id, status] of Object.entries(model.printers)) {
      if (model.devices.has(id)) model.devices.get(id).printer = status;
    }
    model.devicesProblem = null;
  } catch (error) {
    if (error.code === "lost") return;
    model.devicesProblem = error;
  }
  renderBoard();
  renderDevices();
}

async function loadUsers() {
  if (!conn) return;
  try {
    const reply = await conn.request("list_users");
    model.users = new Map((reply.users || []).map((u) => [u.id, u]));
    fill($("#users-section .form-problem"));
    $("#users-section .form-problem").hidden = true;
  } catch (error) {
    if (error.code === "lost") return;
    showProblem(error, $("#users-section .form-problem"));
  }
  renderBoard();
  renderUsers();
}

// ----------------------------------------------------------------------- names

function serviceInfo(id) {
  return (model.info?.services || []).find((s) => s.id === id);
}

function serviceName(id) {
  const info = serviceInfo(id);
  return info ? local(info.name) || id : id;
}

function counterInfo(id) {
  return (model.info?.counters || []).find((c) => c.id === id);
}

function counterLabel(id) {
  const info = counterInfo(id);
  return t("console.counter_number", { number: info ? info.number : id });
}

function priorityLabel(id) {
  const info = (model.info?.priorities || []).find((p) => p.id === id);
  return info ? local(info.label) || id : id;
}

function userName(id) {
  if (!id) return "";
  const user = model.users.get(id);
  return user ? user.username : id;
}

function deviceName(id) {
  const device = model.devices.get(id);
  return device ? device.name || id : id;
}

function timeZone() {
  return model.info?.timezone || "Europe/Riga";
}

/** "2026-11-30" of an instant in the division's time zone. */
function dayOf(ms) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: timeZone(), year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date(ms));
}

function minutesText(ms) {
  return t("admin.minutes", { minutes: Math.round((ms || 0) / MINUTE) });
}

function hhmm(minutes) {
  if (minutes === null || minutes === undefined) return "";
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function targetMinutes() {
  const value = Number($("#stats-target").value);
  return value > 0 ? value : DEFAULT_TARGET_MINUTES;
}

function icon(symbol) {
  return el("span", { class: "icon", "aria-hidden": "true" }, symbol);
}

// ----------------------------------------------------------------------- tabs

function showTab(name, focus = true) {
  tab = name;
  for (const button of document.querySelectorAll(".tab")) {
    const on = button.dataset.tab === name;
    button.setAttribute("aria-current", on ? "page" : "false");
    button.classList.toggle("tab-on", on);
  }
  for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== `tab-${name}`;
  if (name === "board") renderBoard();
  if (name === "config") {
    loadDevices();
    loadUsers();
  }
  if (name === "audit" && !auditRows.length) searchAudit();
  if (focus) $(`#tab-${name} h1`).focus?.();
}

function onTabKey(event) {
  if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
  const tabs = [...document.querySelectorAll(".tab")];
  const index = tabs.indexOf(document.activeElement);
  if (index < 0) return;
  const next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
  next.focus();
  event.preventDefault();
}

function renderAll() {
  if ($("#console").hidden) return;
  renderWhere();
  renderBoard();
  renderConfiguration();
  renderBookingForm();
  renderBookingList();
  renderAuditTypes();
  if (report) renderReport();
}

function renderWhere() {
  const where = $("#where");
  where.hidden = false;
  const name = model.info ? local(model.info.name) : login.division;
  const until = login.expires ? ` · ${t("admin.session_until", { time: clock(login.expires, timeZone()) })}` : "";
  where.textContent = `${name} · ${t("console.user", { user: login.user })}${until}`;
}

// ----------------------------------------------------------------------- board

function alertsNow() {
  const found = [];
  for (const alert of [...model.alerts.values()].sort((a, b) => a.at - b.at)) {
    found.push({
      kind: "manager",
      text: t("admin.alert.manager", {
        counter: counterLabel(alert.counter), clerk: userName(alert.clerk) || "—", time: clock(alert.at, timeZone()),
      }),
      note: alert.note || "",
      counter: alert.counter,
    });
  }
  const printers = new Map(Object.entries(model.printers));
  for (const device of model.devices.values()) {
    if (device.kind === "kiosk" && !device.revoked && device.printer && !printers.has(device.id)) {
      printers.set(device.id, device.printer);
    }
  }
  for (const [id, status] of printers) {
    if (model.devices.get(id)?.revoked) continue;
    if (PRINTER_FAULTS.has(status)) {
      found.push({ kind: "printer", text: t(`admin.alert.printer_${status}`, { kiosk: deviceName(id) }) });
    }
  }
  const target = targetMinutes();
  for (const service of model.info?.services || []) {
    const longest = longestWait(service.id);
    if (longest > target * MINUTE) {
      found.push({
        kind: "wait",
        text: t("admin.alert.wait", { service: local(service.name), minutes: Math.round(longest / MINUTE), target }),
      });
    }
  }
  return found;
}

function longestWait(service) {
  const q = model.queues[service];
  if (!q || !q.waiting) return 0;
  return (q.longest_wait_ms || 0) + Math.max(0, Date.now() - model.queuesAt);
}

function renderBoard() {
  if ($("#console").hidden || !model.ready) return;
  const alerts = alertsNow();
  const badge = $("#alert-count");
  badge.hidden = alerts.length === 0;
  badge.textContent = t("admin.board.alert_count", { count: alerts.length });
  fill($("#alerts"), ...(alerts.length
    ? alerts.map((a) => el("li", { class: `alert alert-${a.kind}` },
      icon("⚠"),
      el("span", { class: "alert-text" }, el("strong", {}, t("admin.alert.label")), " ", a.text,
        a.note ? el("span", { class: "alert-note" }, t("admin.alert.note", { note: a.note })) : null),
      a.kind === "manager" ? answerButton(a.counter) : null))
    : [el("li", { class: "alert-none" }, icon("✓"), " ", t("admin.board.no_alerts"))]));

  const tz = timeZone();
  const rows = (model.info?.counters || []).map((info) => {
    const c = model.counters.get(info.id) || { status: "closed" };
    const status = c.status || "closed";
    const close = status !== "closed" && !c.current
      ? el("button", { type: "button", class: "btn btn-small", "data-close": info.id,
        "aria-label": t("admin.board.close_label", { counter: counterLabel(info.id) }) }, t("admin.board.close"))
      : null;
    if (close) close.addEventListener("click", () => closeCounter(info.id));
    return el("tr", { "data-counter": info.id, "data-status": status },
      el("th", { scope: "row" }, counterLabel(info.id)),
      el("td", { class: `status status-${status}` }, icon({ open: "●", paused: "◐", closed: "○" }[status] || "○"), " ",
        t(`admin.status.${status}`)),
      el("td", { class: "clerk" }, status === "closed" ? "—" : userName(c.clerk) || "—"),
      el("td", { class: "serving" }, c.current || "—"),
      el("td", { class: "since" }, c.since ? clock(c.since, tz) : "—"),
      el("td", {}, close));
  });
  fill($("#board-counters tbody"), ...rows);

  const target = targetMinutes();
  fill($("#board-queues tbody"), ...(model.info?.services || []).map((s) => {
    const q = model.queues[s.id] || { waiting: 0, estimate_ms: null };
    const longest = longestWait(s.id);
    const over = longest > target * MINUTE;
    return el("tr", { "data-service": s.id, class: over ? "over" : null },
      el("th", { scope: "row" }, local(s.name) || s.id),
      el("td", { class: "num" }, String(q.waiting || 0)),
      el("td", { class: "num" }, q.waiting ? minutesText(longest) : "—",
        over ? el("span", { class: "flag" }, " ", icon("⚠"), " ", t("admin.board.over_target")) : null),
      el("td", { class: "num" }, q.estimate_ms === null || q.estimate_ms === undefined
        ? t("admin.board.no_counter") : minutesText(q.estimate_ms)));
  }));

  const devices = [...model.devices.values()].filter((d) => !d.revoked)
    .sort((a, b) => a.kind.localeCompare(b.kind) || String(a.name).localeCompare(String(b.name)));
  for (const id of Object.keys(model.printers)) {
    if (!model.devices.has(id)) devices.push({ id, kind: "kiosk", name: id, connected: null });
  }
  fill($("#board-devices tbody"), ...devices.map((d) => {
    const printer = d.kind === "kiosk" ? model.printers[d.id] || d.printer || "unknown" : null;
    const connected = d.connected === null || d.connected === undefined ? "unknown" : d.connected ? "yes" : "no";
    return el("tr", { "data-device": d.id, "data-connected": connected, "data-printer": printer },
      el("th", { scope: "row" }, d.name || d.id, el("span", { class: "muted small" }, ` · ${t(`admin.devices.${d.kind}`)}`)),
      el("td", {}, icon({ yes: "●", no: "○", unknown: "?" }[connected]), " ", t(`admin.board.connected_${connected}`)),
      el("td", { class: printer && PRINTER_FAULTS.has(printer) ? "fault" : null },
        ...(printer
          ? [icon(PRINTER_FAULTS.has(printer) ? "⚠" : printer === "ok" ? "✓" : "?"), " ", t(`admin.printer.${printer}`)]
          : ["—"])));
  }));
  const problem = $("#devices-problem");
  problem.hidden = !model.devicesProblem && devices.length > 0;
  problem.textContent = model.devicesProblem
    ? t("admin.devices.unavailable", { message: explain(model.devicesProblem).text })
    : t("admin.devices.none");
}

function answerButton(counter) {
  const button = el("button", { type: "button", class: "btn btn-small btn-primary",
    "aria-label": t("admin.alert.answer_label", { counter: counterLabel(counter) }) }, t("admin.alert.answer"));
  button.addEventListener("click", async () => {
    const reply = await ask("answer_alert", { counter });
    if (reply) notify(t("admin.alert.answered", { counter: counterLabel(counter) }));
  });
  return button;
}

async function closeCounter(counter) {
  const ok = await confirmStep(t("admin.board.close_heading", { counter: counterLabel(counter) }),
    t("admin.board.close_text"), t("admin.board.close"));
  if (!ok) return;
  const reply = await ask("close_counter", { counter });
  if (reply) notify(t("admin.board.closed", { counter: counterLabel(counter) }));
}

// --------------------------------------------------------------- configuration

/** Four inputs, one per language, labelled by the language's name. */
function langFields(container, name, values, multiline = false) {
  fill(container, ...LANGUAGES.map((code) => {
    const id = `${container.id}-${code}`;
    const input = multiline
      ? el("textarea", { id, name: `${name}.${code}`, rows: 2, maxlength: 1000, lang: code })
      : el("input", { id, name: `${name}.${code}`, maxlength: 200, lang: code });
    input.value = (values && values[code]) || "";
    return el("div", { class: "field" }, el("label", { for: id }, t(`language.${code}`)), input);
  }));
}

/** The texts of a group of language fields, every language: an empty one removes
 *  that language's text (the server drops empty texts). */
function langValues(container) {
  const texts = {};
  for (const input of container.querySelectorAll("input, textarea")) texts[input.lang] = input.value.trim();
  return texts;
}

function dirty(form) {
  return form.dataset.dirty === "1";
}

function wireConfiguration() {
  for (const form of document.querySelectorAll("#tab-config form")) {
    form.addEventListener("input", () => { form.dataset.dirty = "1"; });
  }
  $("#counter-pick").addEventListener("change", () => fillCounterForm(true));
  $("#service-pick").addEventListener("change", () => fillServiceForm(true));
  $("#priority-pick").addEventListener("change", () => fillPriorityForm(true));
  $("#counter-add").addEventListener("click", () => {
    const id = $("#counter-add-service").value;
    if (!id) return;
    counterServices.push(id);
    $("#counter-form").dataset.dirty = "1";
    renderCounterServices();
    $("#counter-add").focus();
  });
  $("#counter-form").addEventListener("submit", saveCounter);
  $("#service-form").addEventListener("submit", saveService);
  $("#priority-form").addEventListener("submit", savePriority);
  $("#notes-form").addEventListener("submit", saveNotes);
  $("#hours-form").addEventListener("submit", setException);
  $("#hours-closed").addEventListener("change", (e) => {
    $("#hours-open").disabled = e.target.checked;
    $("#hours-close").disabled = e.target.checked;
  });
  $("#device-form").addEventListener("submit", addDevice);
  $("#user-form").addEventListener("submit", addUser);
  $("#service-prefix").addEventListener("input", (e) => { e.target.value = e.target.value.toUpperCase(); });
}

function renderConfiguration() {
  if (!model.info) return;
  const pick = (select, items, label) => {
    const chosen = select.value;
    fill(select, ...items.map((item) => el("option", { value: item.id }, label(item))));
    if (items.some((item) => item.id === chosen)) select.value = chosen;
  };
  pick($("#counter-pick"), model.info.counters || [], (c) => counterLabel(c.id));
  pick($("#service-pick"), model.info.services || [], (s) => `${s.prefix || ""} · ${local(s.name) || s.id}`);
  pick($("#priority-pick"), model.info.priorities || [], (p) => local(p.label) || p.id);
  fillCounterForm(false);
  fillServiceForm(false);
  fillPriorityForm(false);
  if (!dirty($("#notes-form"))) langFields($("#notes-texts"), "notes", model.info.notes, true);
  renderExceptions();
  renderDevices();
  renderUsers();
}

let counterServices = [];

function fillCounterForm(force) {
  const form = $("#counter-form");
  if (!force && dirty(form)) return;
  form.dataset.dirty = "";
  const info = counterInfo($("#counter-pick").value);
  if (!info) return;
  counterServices = (info.services || []).slice();
  renderCounterServices();
  const codes = new Set([...keys("accessibility.").map((k) => k.slice("accessibility.".length)),
    ...(model.info.counters || []).flatMap((c) => c.accessibility || [])]);
  fill($("#counter-access"), ...[...codes].map((code) => {
    const id = `access-${code}`;
    const box = el("input", { type: "checkbox", id, value: code });
    box.checked = (info.accessibility || []).includes(code);
    return el("div", { class: "check" }, box,
      el("label", { for: id }, has(`accessibility.${code}`) ? t(`accessibility.${code}`) : code));
  }));
  langFields($("#counter-note"), "note", info.note, true);
  showProblem(null, form.querySelector(".form-problem"));
}

function renderCounterServices() {
  const list = $("#counter-services");
  fill(list, ...counterServices.map((id, i) => {
    const name = serviceName(id);
    const button = (label, aria, act, disabled = false) => {
      const b = el("button", { type: "button", class: "btn btn-small", "aria-label": aria, disabled }, label);
      b.addEventListener("click", () => {
        act();
        $("#counter-form").dataset.dirty = "1";
        renderCounterServices();
        const again = list.querySelectorAll("li")[Math.min(i, counterServices.length - 1)];
        again?.querySelector("button:not([disabled])")?.focus();
      });
      return b;
    };
    return el("li", { "data-service": id },
      el("span", { class: "order-name" }, name),
      button("↑", t("admin.counter.up", { service: name }), () => {
        [counterServices[i - 1], counterServices[i]] = [counterServices[i], counterServices[i - 1]];
      }, i === 0),
      button("↓", t("admin.counter.down", { service: name }), () => {
        [counterServices[i + 1], counterServices[i]] = [counterServices[i], counterServices[i + 1]];
      }, i === counterServices.length - 1),
      button(t("admin.counter.remove"), t("admin.counter.remove_label", { service: name }), () => {
        counterServices.splice(i, 1);
      }));
  }));
  const left = (model.info?.services || []).filter((s) => !counterServices.includes(s.id));
  fill($("#counter-add-service"), ...left.map((s) => el("option", { value: s.id }, local(s.name) || s.id)));
  $("#counter-add").disabled = left.length === 0;
}

async function saveCounter(event) {
  event.preventDefault();
  const form = event.target;
  const counter = $("#counter-pick").value;
  const box = form.querySelector(".form-problem");
  if (!counterServices.length) {
    showProblem({ message: t("admin.counter.need_service") }, box);
    return;
  }
  const accessibility = [...$("#counter-access").querySelectorAll("input:checked")].map((i) => i.value);
  const fields = { counter, services: counterServices.slice(), accessibility, note: langValues($("#counter-note")) };
  const reply = await ask("configure_counter", fields, box, form);
  if (!reply) return;
  form.dataset.dirty = "";
  notify(t("admin.saved_counter", { counter: counterLabel(counter) }));
}

function fillServiceForm(force) {
  const form = $("#service-form");
  if (!force && dirty(form)) return;
  form.dataset.dirty = "";
  const info = serviceInfo($("#service-pick").value);
  if (!info) return;
  $("#service-prefix").value = info.prefix || "";
  const minutes = info.expected_minutes ?? (info.expected_ms ? Math.round(info.expected_ms / MINUTE) : null);
  $("#service-minutes").value = minutes ?? "";
  langFields($("#service-name"), "name", info.name);
  langFields($("#service-description"), "description", info.description, true);
  langFields($("#service-bring"), "bring", info.bring, true);
  showProblem(null, form.querySelector(".form-problem"));
}

async function saveService(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector(".form-problem");
  const service = $("#service-pick").value;
  const prefix = $("#service-prefix").value.trim().toUpperCase();
  if (prefix && !/^[A-Z]$/.test(prefix)) {
    showProblem({ message: t("admin.service.prefix_bad") }, box);
    $("#service-prefix").focus();
    return;
  }
  const raw = $("#service-minutes").value.trim();
  const minutes = raw === "" ? null : Number(raw);
  if (minutes !== null && !(Number.isInteger(minutes) && minutes >= 1 && minutes <= 240)) {
    showProblem({ message: t("admin.service.minutes_bad") }, box);
    $("#service-minutes").focus();
    return;
  }
  const fields = {
    service, prefix, expected_minutes: minutes,
    name: langValues($("#service-name")),
    description: langValues($("#service-description")),
    bring: langValues($("#service-bring")),
  };
  if (!fields.name.lv) {
    showProblem({ message: t("admin.need_latvian") }, box);
    $("#service-name-lv").focus();
    return;
  }
  const reply = await ask("configure_service", fields, box, form);
  if (!reply) return;
  form.dataset.dirty = "";
  notify(t("admin.saved_service", { service: fields.name[lang()] || fields.name.lv }));
}

function fillPriorityForm(force) {
  const form = $("#priority-form");
  if (!force && dirty(form)) return;
  form.dataset.dirty = "";
  const info = (model.info?.priorities || []).find((p) => p.id === $("#priority-pick").value);
  if (!info) return;
  langFields($("#priority-label"), "label", info.label);
}

async function savePriority(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector(".form-problem");
  const label = langValues($("#priority-label"));
  if (!label.lv) {
    showProblem({ message: t("admin.need_latvian") }, box);
    return;
  }
  const reply = await ask("configure_priority", { priority: $("#priority-pick").value, label }, box, form);
  if (!reply) return;
  form.dataset.dirty = "";
  notify(t("admin.saved_priority", { label: label[lang()] || label.lv }));
}

async function saveNotes(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector(".form-problem");
  const reply = await ask("set_notes", { notes: langValues($("#notes-texts")) }, box, form);
  if (!reply) return;
  form.dataset.dirty = "";
  notify(t("admin.saved_notes"));
}

function renderExceptions() {
  const rows = model.exceptions.slice().sort((a, b) => a.day.localeCompare(b.day));
  fill($("#hours-list tbody"), ...(rows.length ? rows.map((x) => {
    const clear = el("button", { type: "button", class: "btn btn-small",
      "aria-label": t("admin.hours.clear_label", { day: x.day }) }, t("admin.hours.clear"));
    clear.addEventListener("click", async () => {
      const reply = await ask("clear_hours_exception", { day: x.day }, $("#hours-form .form-problem"));
      if (reply) notify(t("admin.hours.cleared", { day: x.day }));
    });
    return el("tr", { "data-day": x.day },
      el("th", { scope: "row" }, x.day),
      el("td", {}, x.open_min === null || x.open_min === undefined
        ? t("admin.hours.closed_all_day") : `${hhmm(x.open_min)}–${hhmm(x.close_min)}`),
      el("td", {}, x.note || ""),
      el("td", {}, clear));
  }) : [el("tr", {}, el("td", { colspan: 4, class: "muted" }, t("admin.hours.none")))]));
}

async function setException(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector(".form-problem");
  const day = $("#hours-day").value;
  const closed = $("#hours-closed").checked;
  const toMinutes = (value) => {
    const [h, m] = value.split(":").map(Number);
    return h * 60 + m;
  };
  if (!day) {
    showProblem({ message: t("admin.hours.need_day") }, box);
    $("#hours-day").focus();
    return;
  }
  const fields = { day, note: $("#hours-note").value.trim() };
  if (!closed) {
    if (!$("#hours-open").value || !$("#hours-close").value) {
      showProblem({ message: t("admin.hours.need_times") }, box);
      $("#hours-open").focus();
      return;
    }
    fields.open_min = toMinutes($("#hours-open").value);
    fields.close_min = toMinutes($("#hours-close").value);
  }
  const reply = await ask("set_hours_exception", fields, box, form);
  if (!reply) return;
  form.reset();
  form.dataset.dirty = "";
  $("#hours-open").disabled = false;
  $("#hours-close").disabled = false;
  notify(t("admin.hours.saved", { day }));
}

function renderDevices() {
  const devices = [...model.devices.values()].sort((a, b) => Number(a.revoked) - Number(b.revoked)
    || a.kind.localeCompare(b.kind) || String(a.name).localeCompare(String(b.name)));
  fill($("#devices-list tbody"), ...(devices.length ? devices.map((d) => {
    let action = null;
    if (!d.revoked) {
      action = el("button", { type: "button", class: "btn btn-small btn-warn",
        "aria-label": t("admin.devices.revoke_label", { name: d.name || d.id }) }, t("admin.devices.revoke"));
      action.addEventListener("click", () => revokeDevice(d));
    }
    return el("tr", { "data-device": d.id },
      el("th", { scope: "row" }, d.name || d.id),
      el("td", {}, t(`admin.devices.${d.kind}`)),
      el("td", {}, d.revoked ? t("admin.devices.revoked") : t(`admin.board.connected_${d.connected ? "yes" : "no"}`)),
      el("td", {}, action));
  }) : [el("tr", {}, el("td", { colspan: 4, class: "muted" },
    model.devicesProblem ? t("admin.devices.unavailable", { message: explain(model.devicesProblem).text }) : t("admin.devices.none")))]));
}

async function addDevice(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector(".form-problem");
  const kind = $("#device-kind").value;
  const name = $("#device-name").value.trim();
  if (!name) {
    showProblem({ message: t("admin.devices.need_name") }, box);
    $("#device-name").focus();
    return;
  }
  const reply = await ask("add_device", { kind, name }, box, form);
  if (!reply) return;
  form.reset();
  showSecret(t("admin.secret.token_heading"), t("admin.secret.token_for", { name }), reply.token);
  loadDevices();
}

async function revokeDevice(device) {
  const ok = await confirmStep(t("admin.devices.revoke_heading", { name: device.name || device.id }),
    t("admin.devices.revoke_text"), t("admin.devices.revoke"));
  if (!ok) return;
  const reply = await ask("revoke_device", { device: device.id }, $("#device-form .form-problem"));
  if (!reply) return;
  notify(t("admin.devices.revoked_done", { name: device.name || device.id }));
  loadDevices();
}

function renderUsers() {
  const users = [...model.users.values()].sort((a, b) => a.username.localeCompare(b.username));
  fill($("#users-list tbody"), ...users.map((u) => {
    const buttons = el("span", { class: "row-actions" });
    if (u.active && (u.editable ?? u.role === "clerk")) {
      const reset = el("button", { type: "button", class: "btn btn-small",
        "aria-label": t("admin.users.reset_label", { user: u.username }) }, t("admin.users.reset"));
      reset.addEventListener("click", () => resetPassword(u));
      const disable = el("button", { type: "button", class: "btn btn-small btn-warn",
        "aria-label": t("admin.users.disable_label", { user: u.username }) }, t("admin.users.disable"));
      disable.addEventListener("click", () => disableUser(u));
      buttons.append(reset, disable);
    }
    return el("tr", { "data-user": u.username },
      el("th", { scope: "row" }, u.username),
      el("td", {}, has(`admin.users.role_${u.role}`) ? t(`admin.users.role_${u.role}`) : u.role),
      el("td", {}, t(u.active ? "admin.users.active" : "admin.users.disabled")),
      el("td", {}, buttons));
  }));
}

async function addUser(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector(".form-problem");
  const username = $("#user-name").value.trim();
  if (!username) {
    showProblem({ message: t("admin.users.need_name") }, box);
    $("#user-name").focus();
    return;
  }
  const reply = await ask("add_user", { username }, box, form);
  if (!reply) return;
  form.reset();
  showSecret(t("admin.secret.password_heading"), t("admin.secret.password_for", { user: username }), reply.password);
  loadUsers();
}

async function resetPassword(user) {
  const ok = await confirmStep(t("admin.users.reset_heading", { user: user.username }),
    t("admin.users.reset_text"), t("admin.users.reset"));
  if (!ok) return;
  const reply = await ask("reset_password", { username: user.username }, $("#user-form .form-problem"));
  if (!reply) return;
  showSecret(t("admin.secret.password_heading"), t("admin.secret.password_for", { user: user.username }), reply.password);
}

async function disableUser(user) {
  const ok = await confirmStep(t("admin.users.disable_heading", { user: user.username }),
    t("admin.users.disable_text"), t("admin.users.disable"));
  if (!ok) return;
  const reply = await ask("disable_user", { username: user.username }, $("#user-form .form-problem"));
  if (!reply) return;
  notify(t("admin.users.disabled_done", { user: user.username }));
  loadUsers();
}

// --------------------------------------------------------------------- dialogs

/** A token or password, shown once: it is not kept anywhere after the dialog closes. */
function showSecret(heading, forWhom, secret) {
  $("#dlg-secret-h").textContent = heading;
  $("#dlg-secret-for").textContent = forWhom;
  $("#dlg-secret-value").value = secret || "";
  fill($("#dlg-secret-copied"));
  $("#dlg-secret").showModal();
  $("#dlg-secret-value").select();
  $("#dlg-secret-value").focus();
}

async function copySecret() {
  const input = $("#dlg-secret-value");
  try {
    await navigator.clipboard.writeText(input.value);
    $("#dlg-secret-copied").textContent = t("admin.secret.copied");
  } catch {
    input.select();
    $("#dlg-secret-copied").textContent = t("admin.secret.copy_by_hand");
  }
}

/** Ask before a step that cannot be taken back; resolves true to go ahead. */
function confirmStep(heading, text, yes) {
  const dialog = $("#dlg-confirm");
  $("#dlg-confirm-h").textContent = heading;
  $("#dlg-confirm-text").textContent = text;
  $("#dlg-confirm-yes").textContent = yes;
  dialog.returnValue = "";
  dialog.showModal();
  $("#dlg-confirm-yes").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}

// -------------------------------------------------------------------- bookings

function wireBookings() {
  $("#book-find").addEventListener("click", () => findSlots($("#book-slots"), $("#book-slots-box"),
    bookOrder[0], $("#book-day").value, $("#book-form .form-problem")));
  $("#book-form").addEventListener("submit", book);
  $("#book-list-day").addEventListener("change", renderBookingList);
  $("#move-find").addEventListener("click", () => {
    const booking = model.appointments.get(movingCode);
    findSlots($("#move-slots"), $("#move-slots-box"), booking?.services?.[0], $("#move-day").value,
      $("#move-form .form-problem"));
  });
  $("#move-form").addEventListener("submit", moveBooking);
  $("#move-form .dlg-cancel").addEventListener("click", () => $("#dlg-move").close());
}

function renderBookingForm() {
  const box = $("#book-services");
  const services = model.info?.services || [];
  bookOrder = bookOrder.filter((id) => services.some((s) => s.id === id));
  fill(box, ...services.map((s) => {
    const id = `book-service-${s.id}`;
    const input = el("input", { type: "checkbox", id, value: s.id });
    input.checked = bookOrder.includes(s.id);
    input.addEventListener("change", () => {
      bookOrder = input.checked ? [...bookOrder, s.id] : bookOrder.filter((x) => x !== s.id);
      renderBookingOrder();
      fill($("#book-slots"));
      $("#book-slots-box").hidden = true;
    });
    return el("div", { class: "check" }, input,
      el("label", { for: id }, local(s.name) || s.id, el("span", { class: "order-mark", "data-order-for": s.id })));
  }));
  renderBookingOrder();
  const priority = $("#book-priority");
  const chosen = priority.value;
  fill(priority, el("option", { value: "" }, t("admin.book.no_priority")),
    ...(model.info?.priorities || []).map((p) => el("option", { value: p.id }, local(p.label) || p.id)));
  priority.value = chosen;
}

function renderBookingOrder() {
  for (const mark of document.querySelectorAll("#book-services .order-mark")) {
    const index = bookOrder.indexOf(mark.dataset.orderFor);
    mark.textContent = index >= 0 ? ` (${t("admin.book.order", { n: index + 1 })})` : "";
  }
}

async function findSlots(container, box, service, day, problem) {
  if (!service) {
    showProblem({ message: t("admin.book.need_service") }, problem);
    return;
  }
  if (!day) {
    showProblem({ message: t("admin.book.need_day") }, problem);
    return;
  }
  const reply = await ask("free_slots", { service, day }, problem);
  if (!reply) return;
  const slots = reply.slots || [];
  box.hidden = false;
  const name = `${container.id}-slot`;
  fill(container, ...(slots.length ? slots.map((slot, i) => {
    const id = `${name}-${i}`;
    const input = el("input", { type: "radio", name, id, value: String(slot.due), disabled: slot.free <= 0 });
    return el("div", { class: slot.free > 0 ? "slot" : "slot slot-full" }, input,
      el("label", { for: id }, clock(slot.due, timeZone()), " ",
        el("span", { class: "muted small" }, slot.free > 0 ? t("admin.book.free", { count: slot.free }) : t("admin.book.full"))));
  }) : [el("p", { class: "muted" }, t("admin.book.no_slots"))]));
  container.querySelector("input:not([disabled])")?.focus();
}

function chosenSlot(container) {
  const input = container.querySelector("input[type=radio]:checked");
  return input ? Number(input.value) : null;
}

async function book(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector(".form-problem");
  if (!bookOrder.length) {
    showProblem({ message: t("admin.book.need_service") }, box);
    return;
  }
  const due = chosenSlot($("#book-slots"));
  if (!due) {
    showProblem({ message: t("admin.book.need_slot") }, box);
    $("#book-find").focus();
    return;
  }
  const fields = {
    services: bookOrder.slice(), due, priority: $("#book-priority").value,
    name: $("#book-name").value.trim(), phone: $("#book-phone").value.trim(),
  };
  const reply = await ask("book", fields, box, form);
  if (!reply) return;
  const code = reply.code;
  $("#book-code").textContent = code;
  $("#book-code-spelled").textContent = t("admin.book.spelled", { letters: [...code].join(" · ") });
  $("#book-when").textContent = t("admin.book.when", {
    day: dayOf(due), time: clock(due, timeZone()), services: fields.services.map(serviceName).join(", "),
  });
  $("#book-done").hidden = false;
  // The caller's name and phone leave the page with the booking.
  $("#book-name").value = "";
  $("#book-phone").value = "";
  fill($("#book-slots"));
  $("#book-slots-box").hidden = true;
  $("#book-list-day").value = dayOf(due);
  renderBookingList();
}

function renderBookingList() {
  const day = $("#book-list-day").value || model.day;
  const tz = timeZone();
  const rows = [...model.appointments.values()].filter((a) => dayOf(a.due) === day).sort((a, b) => a.due - b.due);
  fill($("#book-list tbody"), ...(rows.length ? rows.map((a) => {
    const actions = el("span", { class: "row-actions" });
    const contact = el("span", { class: "contact" });
    const who = el("button", { type: "button", class: "btn btn-small",
      "aria-label": t("admin.book.contact_label", { code: a.code }) }, t("admin.book.contact"));
    who.addEventListener("click", async () => {
      const reply = await ask("booking_contact", { code: a.code });
      if (!reply) return;
      fill(contact, [reply.name, reply.phone].filter(Boolean).join(" · ") || t("admin.book.no_contact"));
    });
    actions.append(who);
    if (a.status === "booked") {
      const move = el("button", { type: "button", class: "btn btn-small",
        "aria-label": t("admin.book.move_label", { code: a.code }) }, t("admin.book.move"));
      move.addEventListener("click", () => openMove(a.code));
      const cancel = el("button", { type: "button", class: "btn btn-small btn-warn",
        "aria-label": t("admin.book.cancel_label", { code: a.code }) }, t("admin.book.cancel"));
      cancel.addEventListener("click", () => cancelBooking(a.code));
      actions.append(move, cancel);
    }
    const status = a.status === "checked_in" && a.number
      ? t("admin.book.checked_in_as", { number: a.number })
      : has(`admin.book.status_${a.status}`) ? t(`admin.book.status_${a.status}`) : a.status;
    return el("tr", { "data-code": a.code, "data-status": a.status },
      el("td", {}, clock(a.due, tz)),
      el("th", { scope: "row", class: "mono" }, a.code),
      el("td", {}, a.services.map(serviceName).join(", "),
        a.priority ? el("span", { class: "muted small" }, ` · ${priorityLabel(a.priority)}`) : null),
      el("td", {}, status),
      el("td", {}, actions, contact));
  }) : [el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("admin.book.none")))]));
}

function openMove(code) {
  movingCode = code;
  const booking = model.appointments.get(code);
  $("#dlg-move-h").textContent = t("admin.book.move_heading", { code });
  $("#move-day").value = booking ? dayOf(booking.due) : model.day;
  fill($("#move-slots"));
  $("#move-slots-box").hidden = true;
  showProblem(null, $("#move-form .form-problem"));
  $("#dlg-move").showModal();
  $("#move-day").focus();
}

async function moveBooking(event) {
  event.preventDefault();
  const form = event.target;
  const box = form.querySelector(".form-problem");
  const due = chosenSlot($("#move-slots"));
  if (!due) {
    showProblem({ message: t("admin.book.need_slot") }, box);
    return;
  }
  const reply = await ask("move_booking", { code: movingCode, due }, box, form);
  if (!reply) return;
  $("#dlg-move").close();
  notify(t("admin.book.moved", { code: movingCode, day: dayOf(due), time: clock(due, timeZone()) }));
  $("#book-list-day").value = dayOf(due);
  renderBookingList();
}

async function cancelBooking(code) {
  const ok = await confirmStep(t("admin.book.cancel_heading", { code }), t("admin.book.cancel_text"), t("admin.book.cancel"));
  if (!ok) return;
  const reply = await ask("cancel_booking", { code });
  if (reply) notify(t("admin.book.cancelled", { code }));
}

// ------------------------------------------------------------------ statistics

function wireStatistics() {
  $("#stats-form").addEventListener("submit", loadStatistics);
  $("#stats-target").addEventListener("change", renderBoard);
}

async function loadStatistics(event) {
  event.preventDefault();
  const box = $("#stats-problem");
  const start = $("#stats-start").value;
  if (!start) {
    showProblem({ message: t("admin.stats.need_start") }, box);
    return;
  }
  const request = {
    period: $("#stats-period").value,
    start,
    target_minutes: Number($("#stats-target").value) || undefined,
    target_share: $("#stats-share").value ? Number($("#stats-share").value) / 100 : undefined,
  };
  fill($("#stats-out"), el("p", { class: "muted" }, t("admin.stats.loading")));
  const reply = await ask("stats", request, box, event.target);
  if (!reply) {
    fill($("#stats-out"));
    return;
  }
  report = { request, data: reply.report || {}, tables: reply.tables || null, names: reply.names || {} };
  renderReport();
  renderBoard();
}

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function isScalar(value) {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

/** The report as flat tables: {name, columns, rows (arrays of cells)}. Lists of
 *  objects are tables as they come; an object of figures is a one-row table; the
 *  ratings are split as the server's own CSV does (stars, tags). */
function reportTables(data) {
  if (isObject(data.tables)) {
    return Object.entries(data.tables).map(([name, table]) => Array.isArray(table)
      ? objectTable(name, table)
      : { name, columns: table.columns, rows: table.rows });
  }
  const tables = [];
  for (const [name, value] of Object.entries(data)) {
    if (Array.isArray(value)) {
      if (value.every(isObject)) tables.push(objectTable(name, value));
    } else if (isObject(value)) {
      const flat = Object.entries(value).filter(([, v]) => isScalar(v));
      if (flat.length) {
        tables.push({ name, columns: flat.map(([k]) => k), rows: [flat.map(([, v]) => v)] });
      }
      const count = typeof value.count === "number" ? value.count : null;
      for (const [key, inner] of Object.entries(value)) {
        const share = (n) => (count ? Math.round((n / count) * 10000) / 10000 : null);
        if (name === "ratings" && key === "distribution" && Array.isArray(inner)) {
          tables.push({ name: "ratings_stars", columns: ["stars", "count", "share"],
            rows: inner.map((n, i) => [i + 1, n, share(n)]) });
        } else if (name === "ratings" && key === "tags" && isObject(inner)) {
          tables.push({ name: "rating_tags", columns: ["tag", "count", "share"],
            rows: Object.entries(inner).map(([tag, n]) => [tag, n, share(n)]) });
        } else if (Array.isArray(inner) && inner.every(isScalar)) {
          tables.push({ name: `${name}_${key}`, columns: ["n", key], rows: inner.map((v, i) => [i + 1, v]) });
        } else if (Array.isArray(inner) && inner.every(isObject)) {
          tables.push(objectTable(`${name}_${key}`, inner));
        } else if (isObject(inner)) {
          tables.push({ name: `${name}_${key}`, columns: ["key", "value"],
            rows: Object.entries(inner).filter(([, v]) => isScalar(v)) });
        }
      }
    }
  }
  return tables;
}

function objectTable(name, rows) {
  const columns = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  return {
    name, columns,
    rows: rows.map((row) => columns.map((c) => (isScalar(row[c]) ? row[c] : JSON.stringify(row[c])))),
  };
}

/** One CSV cell: text that a spreadsheet would run as a formula gets a leading quote. */
export function csvCell(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "yes" : "no";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(table) {
  return [table.columns, ...table.rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

function downloadCsv(table) {
  // A BOM, so that spreadsheets read the Latvian letters as UTF-8.
  const blob = new Blob(["\ufeff", toCsv(table)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const { period, start } = report.request;
  const link = el("a", { href: url, download: `rinda-${login.division}-${period}-${start}-${table.name}.csv`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function columnName(column) {
  return has(`admin.col.${column}`) ? t(`admin.col.${column}`) : column;
}

function tableTitle(name) {
  return has(`admin.table.${name}`) ? t(`admin.table.${name}`) : name;
}

/** How a cell reads on the page (the CSV keeps the raw value). */
function cellText(table, column, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return `${value ? "✓" : "✗"} ${t(value ? "admin.yes" : "admin.no")}`;
  const first = column === table.columns[0];
  if (first && table.name === "services") return serviceName(value);
  if (first && table.name === "clerks") return report?.names?.[value] || userName(value);
  if (first && table.name === "counters") return counterLabel(value);
  if (column === "counter") return counterLabel(value);
  if (column === "clerk") return report?.names?.[value] || userName(value);
  if (column === "service") return serviceName(value);
  if (first && table.name === "refusals" && has(`console.reason.${value}`)) return t(`console.reason.${value}`);
  if (first && table.name === "rating_tags" && has(`kiosk.rating.tag.${value}`)) return t(`kiosk.rating.tag.${value}`);
  if (column === "action" && has(`console.undo_action.${value}`)) return t(`console.undo_action.${value}`);
  if (typeof value === "number" && /share|achieved/.test(column)) return `${Math.round(value * 1000) / 10} %`;
  if (typeof value === "number") return value.toLocaleString(lang() === "en" ? "en-GB" : lang());
  return String(value);
}

function renderReport() {
  const out = $("#stats-out");
  const data = report.data;
  const tables = report.tables ? reportTables({ tables: report.tables }) : reportTables(data);
  const byName = Object.fromEntries(tables.map((tb) => [tb.name, tb]));
  const parts = [];
  parts.push(el("h2", {}, t("admin.stats.for", {
    from: data.first_day || report.request.start, to: data.last_day || report.request.start,
  })));
  parts.push(summaryBlock(data));

  const charts = el("div", { class: "charts" });
  const target = data.target || {};
  const days = byName.days;
  if (days && days.rows.length > 1) {
    const col = days.columns.indexOf("target_share");
    const met = days.columns.indexOf("target_met");
    charts.append(barChart(t("admin.chart.target_by_day"), days.rows.map((r) => ({
      label: String(r[0]).slice(5), value: r[col] === null ? null : r[col] * 100,
      note: r[met] === true ? "✓" : r[met] === false ? "✗" : "",
    })), { unit: "%", max: 100, line: target.share ? target.share * 100 : null }));
  }
  const services = byName.services;
  if (services && services.rows.length) {
    const visits = services.columns.indexOf("visits");
    const wait = services.columns.indexOf("wait_mean_min");
    charts.append(barChart(t("admin.chart.visits_by_service"),
      services.rows.map((r) => ({ label: serviceName(r[0]), value: r[visits] })), {}));
    charts.append(barChart(t("admin.chart.wait_by_service"),
      services.rows.map((r) => ({ label: serviceName(r[0]), value: r[wait] })),
      { unit: t("admin.chart.min"), line: target.minutes ?? null }));
  }
  const hours = byName.hours;
  if (hours && hours.rows.length) {
    const arrivals = hours.columns.indexOf("arrivals");
    charts.append(barChart(t("admin.chart.arrivals_by_hour"),
      hours.rows.map((r) => ({ label: `${String(r[0]).padStart(2, "0")}:00`, value: r[arrivals] })), {}));
  }
  const stars = byName.ratings_stars || byName.ratings;
  if (stars && stars.rows.length && stars.columns[0] === "stars") {
    charts.append(barChart(t("admin.chart.ratings"),
      stars.rows.map((r) => ({ label: "★".repeat(r[0]), value: r[1] })), {}));
  }
  const refusals = byName.refusals;
  if (refusals && refusals.rows.length) {
    charts.append(barChart(t("admin.chart.refusals"),
      refusals.rows.map((r) => ({ label: cellText(refusals, refusals.columns[0], r[0]), value: r[1] })), {}));
  }
  if (charts.childElementCount) parts.push(charts);

  for (const table of tables) parts.push(tableBlock(table));
  fill(out, ...parts);
}

function summaryBlock(data) {
  const s = data.summary || {};
  const target = data.target || {};
  const figure = (key, value) => el("div", { class: "figure" }, el("dt", {}, columnName(key)), el("dd", {}, value));
  const minutes = (v) => (v === null || v === undefined ? "—" : t("admin.minutes_exact", { minutes: cellText({ columns: [] }, "", v) }));
  const list = el("dl", { class: "figures summary" },
    figure("visits", String(s.visits ?? 0)),
    figure("called", String(s.called ?? 0)),
    figure("wait_mean_min", minutes(s.wait_mean_min)),
    figure("wait_p90_min", minutes(s.wait_p90_min)),
    figure("wait_max_min", minutes(s.wait_max_min)),
    figure("served", String(s.served ?? 0)),
    figure("refused", String(s.refused ?? 0)),
    figure("referred", String(s.referred ?? 0)),
    figure("no_shows", String(s.no_shows ?? 0)),
    figure("rating_mean", s.rating_mean === null || s.rating_mean === undefined ? "—" : `${s.rating_mean} ★ (${s.ratings})`));
  const met = target.met;
  const verdict = el("p", { class: `verdict verdict-${met === true ? "met" : met === false ? "missed" : "none"}` },
    icon(met === true ? "✓" : met === false ? "✗" : "–"), " ",
    met === null || met === undefined
      ? t("admin.stats.target_none", { minutes: target.minutes ?? targetMinutes() })
      : t(met ? "admin.stats.target_met" : "admin.stats.target_missed", {
        share: Math.round((target.share ?? 0.9) * 100), minutes: target.minutes ?? targetMinutes(),
        achieved: Math.round((target.achieved ?? 0) * 1000) / 10,
      }),
    target.days_counted ? ` ${t("admin.stats.days_met", { met: target.days_met, days: target.days_counted })}` : "");
  return el("section", { class: "card", "aria-label": t("admin.table.summary") }, verdict, list);
}

function tableBlock(table) {
  const download = el("button", { type: "button", class: "btn btn-small", "data-csv": table.name,
    "aria-label": t("admin.stats.csv_label", { table: tableTitle(table.name) }) }, t("admin.stats.csv"));
  download.addEventListener("click", () => downloadCsv(table));
  const body = table.rows.length
    ? table.rows.map((row) => el("tr", {}, ...row.map((value, i) => {
      const text = cellText(table, table.columns[i], value);
      return i === 0 ? el("th", { scope: "row" }, text) : el("td", { class: typeof value === "number" ? "num" : null }, text);
    })))
    : [el("tr", {}, el("td", { colspan: table.columns.length, class: "muted" }, t("admin.stats.empty")))];
  return el("section", { class: "card stats-table", "data-table": table.name },
    el("div", { class: "table-head" }, el("h3", {}, tableTitle(table.name)), download),
    el("div", { class: "scroll" },
      el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, ...table.columns.map((c) => el("th", { scope: "col" }, columnName(c))))),
        el("tbody", {}, ...body))));
}

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  if (text !== null) node.textContent = text;
  return node;
}

/** A horizontal bar chart drawn with DOM calls: a label, a bar and its value per row;
 *  `line` marks a target. The same figures are in the table below it. */
function barChart(title, rows, { unit = "", max = null, line = null }) {
  const width = 560;
  const labelWidth = 200;
  const barArea = width - labelWidth - 80;
  const rowHeight = 26;
  const top = 8;
  const height = top + rows.length * rowHeight + (line !== null ? 22 : 8);
  const biggest = Math.max(max ?? 0, line ?? 0, ...rows.map((r) => r.value ?? 0), 1);
  const figure = el("figure", { class: "chart card" });
  const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-label": title });
  picture.append(svg("title", {}, title));
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const label = row.label.length > 28 ? `${row.label.slice(0, 27)}…` : row.label;
    picture.append(svg("text", { x: labelWidth - 8, y: y + 17, "text-anchor": "end", class: "chart-label" }, label));
    const w = row.value ? Math.max(1, (row.value / biggest) * barArea) : 0;
    picture.append(svg("rect", { x: labelWidth, y: y + 4, width: w, height: rowHeight - 8, class: "chart-bar" }));
    const value = row.value === null || row.value === undefined
      ? "—" : `${Math.round(row.value * 10) / 10}${unit ? ` ${unit}` : ""}${row.note ? ` ${row.note}` : ""}`;
    picture.append(svg("text", { x: labelWidth + w + 6, y: y + 17, class: "chart-value" }, value));
  });
  if (line !== null) {
    const x = labelWidth + (line / biggest) * barArea;
    const bottom = top + rows.length * rowHeight;
    picture.append(svg("line", { x1: x, x2: x, y1: top, y2: bottom, class: "chart-target" }));
    picture.append(svg("text", { x, y: bottom + 16, "text-anchor": "middle", class: "chart-value" },
      t("admin.chart.target", { value: `${Math.round(line * 10) / 10}${unit ? ` ${unit}` : ""}` })));
  }
  figure.append(el("figcaption", {}, title), picture);
  return figure;
}

// ----------------------------------------------------------------------- audit

function wireAudit() {
  $("#audit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    searchAudit();
  });
  $("#audit-more").addEventListener("click", () => searchAudit(true));
  $("#audit-number").addEventListener("input", (e) => { e.target.value = e.target.value.toUpperCase(); });
}

function renderAuditTypes() {
  const select = $("#audit-type");
  const chosen = select.value;
  fill(select, el("option", { value: "" }, t("admin.audit.any")),
    ...EVENT_TYPES.map((type) => el("option", { value: type }, eventName(type))));
  select.value = chosen;
}

function eventName(type) {
  return has(`admin.event.${type}`) ? t(`admin.event.${type}`) : type;
}

async function searchAudit(more = false) {
  const box = $("#audit-problem");
  if (!more) {
    auditFilter = {
      from_day: $("#audit-from").value, to_day: $("#audit-to").value, actor: $("#audit-actor").value.trim(),
      event: $("#audit-type").value, number: $("#audit-number").value.trim(), text: $("#audit-text").value.trim(),
    };
  }
  const fields = { ...auditFilter };
  if (more && auditRows.length) fields.before_seq = Math.min(...auditRows.map((r) => r.seq));
  const reply = await ask("audit", fields, box, $("#audit-form"));
  if (!reply) return;
  auditRows = more ? [...auditRows, ...(reply.rows || [])] : reply.rows || [];
  if (!more) accountChanges = reply.account_changes || [];
  auditMore = !!reply.more;
  renderAudit();
}

function renderAudit() {
  const tz = timeZone();
  const date = (ms) => `${dayOf(ms)} ${clock(ms, tz)}`;
  fill($("#audit-list tbody"), ...auditRows.map((row) => el("tr", { "data-seq": row.seq, "data-type": row.type },
    el("td", { class: "nowrap" }, date(row.at)),
    el("td", { class: "who" }, row.actor_name || row.actor || "—",
      row.actor_name && row.actor ? el("span", { class: "muted small" }, ` (${row.actor})`) : null),
    el("td", {}, eventName(row.type)),
    el("td", { class: "details" }, detailsText(row.fields || {})))));
  $("#audit-empty").hidden = auditRows.length > 0;
  $("#audit-more").hidden = !auditMore;
  $("#audit-caption").textContent = t("admin.audit.caption", { count: auditRows.length });
  $("#audit-accounts").hidden = accountChanges.length === 0;
  fill($("#audit-accounts tbody"), ...accountChanges.map((row) => el("tr", {},
    el("td", { class: "nowrap" }, date(row.at)),
    el("td", { class: "who" }, row.actor_name || row.actor || "—"),
    el("td", {}, eventName(row.action)),
    el("td", {}, row.subject_name || row.subject || ""))));
}

function detailsText(fields) {
  return Object.entries(fields)
    .filter(([key, value]) => key !== "key" && value !== null && value !== undefined && !(Array.isArray(value) && !value.length))
    .map(([key, value]) => {
      let shown;
      if (isObject(value)) shown = Object.entries(value).map(([k, v]) => `${k}: ${v}`).join("; ");
      else if (key === "services") shown = value.map(serviceName).join(", ");
      else if (Array.isArray(value)) shown = value.join(", ");
      else if (key === "clerk" || key === "admin") shown = userName(value);
      else if (key === "device") shown = deviceName(value);
      else if (key === "counter") shown = counterLabel(value);
      else if (key === "services" || key === "service") shown = [].concat(value).map(serviceName).join(", ");
      else if (key === "status" && has(`admin.printer.${value}`)) shown = t(`admin.printer.${value}`);
      else if (typeof value === "number" && value > 1e12) shown = `${dayOf(value)} ${clock(value, timeZone())}`;
      else shown = String(value);
      return `${key}: ${shown}`;
    }).join(" · ");
}

// ---------------------------------------------------------------------- errors

/** An error in plain words (the catalog's sentence for its code, and the server's
 *  own message), in a form's box or the page's. `null` hides it. */
function showProblem(error, box = null) {
  if (box) {
    box.hidden = !error;
    if (error) {
      const { text, detail } = describe(error);
      fill(box, el("span", {}, text),
        detail && detail !== text ? el("span", { class: "problem-detail" }, t("console.server_said", { message: detail })) : null);
    } else {
      fill(box);
    }
    return;
  }
  const main = $("#problem");
  if (!error) {
    main.hidden = true;
    return;
  }
  const { text, detail } = describe(error);
  $("#problem-text").textContent = text;
  $("#problem-detail").textContent = detail && detail !== text ? t("console.server_said", { message: detail }) : "";
  main.hidden = false;
}

function describe(error) {
  if (error.code === "lost" || error.code === "timeout") {
    return { text: t("console.lost_request"), detail: error.message };
  }
  if (error.code === "unknown_type") {
    return { text: t("admin.error.not_supported"), detail: error.message };
  }
  if (error.code === "forbidden") {
    return { text: t("admin.error.forbidden"), detail: error.message };
  }
  if (error.code && has(`admin.error.${error.code}`)) {
    return { text: t(`admin.error.${error.code}`), detail: error.message };
  }
  return explain(error);
}
