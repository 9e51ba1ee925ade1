// The clerk console: log in to a counter, call and serve visitors, see the queue.
//
// The page keeps a copy of the division as the server's staff snapshot gives it
// (`state`: visits with their steps, counters) and folds the events it receives
// into it, the way queue_server/core/division.py does, so it needs no polling.
// Anything it cannot fold exactly (an undo, a new day) makes it ask for a fresh
// snapshot. The server decides everything; the page only disables what cannot
// apply now and shows every refusal in plain words.

import {
  $, Connection, LANGUAGES, RequestError, clock, el, explain, fill, has, keys, lang,
  forgetLogin, loadLanguage, local, logOut, refusal, showLink, t, translate,
} from "/rinda.js";

const DEFAULT_UNDO_MS = 60_000;
const STORE = window.localStorage;

// ----------------------------------------------------------------------- state

/** Who is logged in where. The password lives here only until the server gives a
 *  session token (and never in storage or a URL). */
const login = { division: "", counter: "", user: "", password: null, session: null, expires: null };

/** The page's copy of the division. */
const model = {
  ready: false,
  seq: -1,
  info: null,          // snapshot.division: names, services, counters, contacts…
  refusalReasons: [],  // [{id, label}]
  visits: new Map(),
  counters: new Map(), // id -> {id, status, clerk, current, since, version}
  queues: {},
  last: null,          // the undo record of this counter: {action, at, number, visitVersion, counterVersion}
  alert: null,         // this counter's open manager alert: {at}
  actor: null,         // this clerk's account id
  undoMs: DEFAULT_UNDO_MS,
};

let conn = null;
let busy = false;            // a request of this page is on its way
let linkState = "closed";
let serverOffset = null;     // server clock minus this browser's clock (ms), when known
let resyncing = null;        // events received while a fresh snapshot is on its way
let figures = null;
let figuresProblem = null;
let figuresTimer = null;
let outcome = "";
let managerNote = "";

// ----------------------------------------------------------------------- start

document.addEventListener("DOMContentLoaded", start);

async function start() {
  const params = new URLSearchParams(location.search);
  const wanted = STORE.getItem("rinda.lang") || "lv";
  try {
    await loadLanguage(wanted);
  } catch (error) {
    await loadLanguage("lv").catch(() => {});
  }
  buildLanguagePicker();
  translate();
  $("#login-division").value = params.get("division") || STORE.getItem("rinda.clerk.division") || "";
  $("#login-counter").value = params.get("counter") || STORE.getItem("rinda.clerk.counter") || "";
  fillCounterList($("#login-division").value);
  $("#login-division").addEventListener("change", (e) => fillCounterList(e.target.value));
  $("#login-form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", onLogout);
  $("#problem-close").addEventListener("click", () => showProblem(null));
  $("#switch-form").addEventListener("submit", onSwitchCounter);
  for (const button of document.querySelectorAll("button.act")) {
    decorate(button);
    button.addEventListener("click", () => act(button.dataset.act));
  }
  for (const form of document.querySelectorAll("dialog form")) {
    form.addEventListener("submit", onDialogSubmit);
    form.querySelector(".dlg-cancel").addEventListener("click", () => form.closest("dialog").close());
  }
  $("#refuse-reason").addEventListener("change", renderRefusalReminder);
  $("#call-number").addEventListener("input", (e) => {
    e.target.value = e.target.value.toUpperCase();
  });
  document.addEventListener("keydown", onKey);
  setInterval(renderUndo, 250);
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
    decorateAll();
    showLink(linkState);
    render();
  });
}

function fillCounterList(division) {
  const known = JSON.parse(STORE.getItem(`rinda.counters.${division}`) || "[]");
  fill($("#counter-list"), ...known.map((id) => el("option", { value: id })));
}

// ------------------------------------------------------------------ logging in

function showLogin(message = "", detail = "") {
  $("#console").hidden = true;
  $("#logout").hidden = true;
  $("#where").hidden = true;
  $("#reconnecting").hidden = true;
  $("#login").hidden = false;
  showLink("closed");
  const box = $("#login-error");
  box.hidden = !message;
  fill(box, message ? el("span", {}, message) : null, detail ? el("span", { class: "problem-detail" }, detail) : null);
  const first = ["#login-division", "#login-counter", "#login-user", "#login-password"]
    .map((s) => $(s)).find((input) => !input.value);
  (first || $("#login-password")).focus();
}

function hello() {
  const fields = { division: login.division, user: login.user, counter: login.counter };
  if (login.session) fields.session = login.session;
  else fields.password = login.password;
  return fields;
}

async function onLogin(event) {
  event.preventDefault();
  const division = $("#login-division").value.trim();
  const counter = $("#login-counter").value.trim();
  const user = $("#login-user").value.trim();
  const password = $("#login-password").value;
  if (!division || !counter || !user || !password) {
    showLogin(t("console.login.required"));
    return;
  }
  Object.assign(login, { division, counter, user, password, session: null, expires: null });
  $("#login-password").value = "";
  const submit = $("#login-submit");
  submit.disabled = true;
  submit.textContent = t("console.login.working");
  try {
    await connect();
  } catch (error) {
    login.password = null;
    const { text, detail } = explain(error);
    showLogin(text, detail);
  } finally {
    submit.disabled = false;
    submit.textContent = t("console.login.submit");
  }
}

/** Open a connection with the current login; resolves once welcomed. */
async function connect() {
  resetModel();
  const connection = new Connection({ hello });
  connection.addEventListener("message", (e) => onMessage(e.detail));
  connection.addEventListener("state", (e) => onLinkState(e.detail));
  connection.addEventListener("refused", (e) => onRefused(e.detail));
  conn = connection;
  try {
    const welcome = await connection.start();
    onWelcome(welcome);
  } catch (error) {
    if (conn === connection) conn = null;
    throw error;
  }
}

function onWelcome(welcome) {
  model.actor = welcome.actor;
  if (welcome.session) {
    login.session = welcome.session;
    login.expires = welcome.session_expires ?? null;
    login.password = null; // the token does from now on
  }
  STORE.setItem("rinda.clerk.division", login.division);
  STORE.setItem("rinda.clerk.counter", login.counter);
  $("#login").hidden = true;
  $("#console").hidden = false;
  $("#logout").hidden = false;
  outcome = "";
  managerNote = "";
  showProblem(null);
  render();
  const first = document.querySelector("button.act:not([disabled])");
  if (first) first.focus();
}

function onRefused(error) {
  // A reconnect's hello was refused: an expired session, a changed password…
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

async function onSwitchCounter(event) {
  event.preventDefault();
  const target = $("#switch-counter").value;
  if (!target || target === login.counter || !conn) return;
  const previous = login.counter;
  const old = conn;
  conn = null;
  old.stop();
  login.counter = target;
  try {
    await connect();
  } catch (error) {
    login.counter = previous;
    const { text, detail } = explain(error);
    showLogin(text, detail);
  }
}

// ------------------------------------------------------------------ connection

function onLinkState({ state }) {
  linkState = state;
  showLink(state);
  const lost = state === "reconnecting";
  $("#reconnecting").hidden = !lost || $("#console").hidden;
  if (lost) for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  render();
}

function onMessage(message) {
  if (message.type === "snapshot") {
    applySnapshot(message);
  } else if (message.type === "event") {
    onEvent(message.seq, message.event, true);
  } else if (message.type === "queues") {
    model.queues = message.queues || {};
    renderQueues();
  } else if (message.type === "error") {
    showProblem(new RequestError(message.code, message.message, message.details));
  }
}

function resetModel() {
  Object.assign(model, {
    ready: false, seq: -1, info: null, refusalReasons: [], visits: new Map(), counters: new Map(),
    queues: {}, last: null, alert: null, actor: null, undoMs: DEFAULT_UNDO_MS,
  });
  figures = null;
  figuresProblem = null;
  resyncing = null;
}

function applySnapshot(snapshot) {
  const state = snapshot.state || {};
  model.info = snapshot.division || {};
  model.queues = snapshot.queues || {};
  model.visits = new Map((state.visits || []).map((v) => [v.number, v]));
  model.counters = new Map();
  for (const row of state.counters || snapshot.counters || []) {
    model.counters.set(row.id, { ...row, version: row.version ?? 0 });
  }
  model.seq = snapshot.seq;
  model.undoMs = snapshot.division?.rules?.undo_window_ms ?? snapshot.rules?.undo_window_ms ?? DEFAULT_UNDO_MS;
  model.refusalReasons = refusalReasons(snapshot);
  const mine = model.counters.get(login.counter);
  const record = state.counters?.find((c) => c.id === login.counter)?.last;
  model.last = record
    ? { action: record.action, at: record.at, number: record.number,
        visitVersion: record.visit_version, counterVersion: record.counter_version }
    : null;
  const alert = (state.alerts || []).find((a) => a.counter === login.counter);
  model.alert = alert ? { at: alert.at } : null;
  if (mine === undefined) model.last = null;
  model.ready = true;
  conn?.saw(snapshot.seq);
  STORE.setItem(
    `rinda.counters.${login.division}`,
    JSON.stringify((model.info.counters || []).map((c) => c.id)),
  );
  if (resyncing) {
    const waiting = resyncing;
    resyncing = null;
    for (const [seq, event] of waiting) if (seq > model.seq) onEvent(seq, event, false);
  }
  render();
  refreshFigures();
  if (!document.activeElement || document.activeElement === document.body) {
    const first = document.querySelector("button.act:not([disabled])");
    if (first) first.focus();
  }
}

/** The configured legal reasons for a refusal: from the snapshot when the server
 *  sends them, otherwise the catalog's copy of the shipped configuration's. */
function refusalReasons(snapshot) {
  const found = snapshot.division?.refusal_reasons ?? snapshot.refusal_reasons ?? snapshot.state?.refusal_reasons;
  if (Array.isArray(found)) {
    return found.map((r) => ({ id: r.id, label: r.label ?? r.text ?? r.name ?? {} }));
  }
  if (found && typeof found === "object") {
    return Object.entries(found).map(([id, label]) => ({ id, label }));
  }
  return null; // not sent: the catalog fallback (renderReasons)
}

async function resync() {
  if (!conn || resyncing) return;
  resyncing = [];
  try {
    const reply = await conn.request("snapshot");
    applySnapshot(reply.snapshot);
  } catch (error) {
    resyncing = null;
    showProblem(error);
  }
}

// ---------------------------------------------------------------------- events

function serverNow() {
  return Date.now() + (serverOffset ?? 0);
}

function onEvent(seq, event, live) {
  if (resyncing) resyncing.push([seq, event]);
  if (!model.ready || seq <= model.seq) return;
  model.seq = seq;
  if (live && Number.isInteger(event.at) && linkState === "open") {
    // Live events tell the server's clock (it may run from another start, in rehearsals).
    const offset = event.at - Date.now();
    if (serverOffset === null || offset > serverOffset - 2000) serverOffset = offset;
  }
  if (!fold(event)) {
    resync();
    return;
  }
  describe(event);
  render();
  if (event.counter === login.counter && FIGURE_EVENTS.has(event.type)) refreshFigures();
}

const FIGURE_EVENTS = new Set([
  "step_finished", "visit_missed", "visit_transferred", "action_undone", "visit_called",
]);

function touch(visit) {
  visit.version = (visit.version ?? 0) + 1;
}

function counterOf(id) {
  let counter = model.counters.get(id);
  if (!counter) {
    counter = { id, status: "closed", clerk: null, current: null, since: null, version: 0 };
    model.counters.set(id, counter);
  }
  return counter;
}

function remember(action, visit, counter, at) {
  if (counter.id !== login.counter) return;
  model.last = { action, at, number: visit.number, visitVersion: visit.version, counterVersion: counter.version };
}

/** Apply one staff event to the page's copy, as the core does; false when the page
 *  cannot (then it asks for a fresh snapshot). */
function fold(ev) {
  const visit = ev.number ? model.visits.get(ev.number) : undefined;
  switch (ev.type) {
    case "visit_issued":
      model.visits.set(ev.number, {
        number: ev.number, key: ev.key, arrival: ev.at,
        steps: ev.services.map((service) => step(service, null, ev.at)),
        priority: ev.priority ?? null, lang: ev.lang ?? "lv", appointment: ev.appointment ?? null,
        due: ev.due ?? null, estimate: ev.estimate ?? null, past_closing: !!ev.past_closing,
        status: "waiting", index: 0, counter: null, recalls: 0, missed_at: null, returned: false,
        version: 0, closed_at: null,
      });
      return true;
    case "visit_called": {
      if (!visit) return false;
      const counter = counterOf(ev.counter);
      Object.assign(visit, { status: "called", counter: ev.counter, recalls: 0 });
      Object.assign(current(visit), { called_at: ev.at, started_at: null, counter: ev.counter, clerk: ev.clerk ?? null });
      Object.assign(counter, { current: visit.number, since: ev.at });
      touch(visit);
      counter.version += 1;
      remember("call", visit, counter, ev.at);
      return true;
    }
    case "visit_recalled":
      if (!visit) return false;
      visit.recalls += 1;
      return true;
    case "visit_missed": {
      if (!visit) return false;
      const counter = counterOf(ev.counter);
      Object.assign(visit, { status: "no_show", counter: null, missed_at: ev.at, closed_at: ev.at });
      current(visit).outcome = "no_show";
      Object.assign(counter, { current: null, since: ev.at });
      touch(visit);
      counter.version += 1;
      remember("no_show", visit, counter, ev.at);
      return true;
    }
    case "visit_returned":
      if (!visit) return false;
      Object.assign(visit, { status: "waiting", returned: true, closed_at: null });
      current(visit).outcome = null;
      touch(visit);
      return true;
    case "visit_cancelled":
      if (!visit) return false;
      if (visit.counter) {
        const counter = counterOf(visit.counter);
        counter.current = null;
        counter.version += 1;
      }
      Object.assign(visit, { status: "cancelled", counter: null, closed_at: ev.at });
      current(visit).outcome = "cancelled";
      touch(visit);
      return true;
    case "visit_rated":
      if (visit) touch(visit);
      return true;
    case "service_started":
      if (!visit) return false;
      visit.status = "serving";
      current(visit).started_at = ev.at;
      touch(visit);
      return true;
    case "step_finished": {
      if (!visit) return false;
      const counter = counterOf(ev.counter);
      Object.assign(current(visit), {
        finished_at: ev.at, outcome: ev.outcome, reason: ev.reason ?? null, detail: ev.detail ?? null,
        referral: ev.referral ?? null, clerk: ev.clerk ?? null,
      });
      Object.assign(counter, { current: null, since: ev.at });
      Object.assign(visit, { counter: null, recalls: 0 });
      if (ev.outcome === "behaviour" || visit.index + 1 === visit.steps.length) {
        for (const rest of visit.steps.slice(visit.index + 1)) rest.outcome = "cancelled";
        Object.assign(visit, { status: "done", closed_at: ev.at });
      } else {
        visit.index += 1;
        current(visit).queued_at = ev.at;
        visit.status = "waiting";
      }
      touch(visit);
      counter.version += 1;
      remember("finish", visit, counter, ev.at);
      return true;
    }
    case "visit_transferred": {
      if (!visit) return false;
      const counter = counterOf(ev.counter);
      Object.assign(current(visit), { finished_at: ev.at, outcome: "transferred" });
      visit.steps.splice(visit.index + 1, 0, step(ev.service, ev.to_counter ?? null, ev.at));
      visit.index += 1;
      Object.assign(visit, { status: "waiting", counter: null, recalls: 0 });
      Object.assign(counter, { current: null, since: ev.at });
      touch(visit);
      counter.version += 1;
      remember("transfer", visit, counter, ev.at);
      return true;
    }
    case "counter_opened":
    case "counter_closed":
    case "counter_paused":
    case "counter_resumed": {
      const counter = counterOf(ev.counter);
      const status = { counter_opened: "open", counter_closed: "closed", counter_paused: "paused", counter_resumed: "open" }[ev.type];
      counter.status = status;
      if (ev.type === "counter_opened") counter.clerk = ev.clerk ?? null;
      if (ev.type === "counter_closed") counter.clerk = null;
      counter.since = ev.at;
      counter.version += 1;
      if (ev.counter === login.counter) model.last = null;
      return true;
    }
    case "manager_alerted":
      if (ev.counter === login.counter) model.alert = { at: ev.at };
      return true;
    case "alert_answered":
      if (ev.counter === login.counter && model.alert) {
        model.alert = null;
        managerNote = t("console.counter.manager_answered");
      }
      return true;
    case "printer_reported":
    case "appointment_booked":
    case "appointment_moved":
    case "appointment_cancelled":
    case "hours_exception_set":
    case "hours_exception_cleared":
      return true; // nothing this page shows (estimates come in `queues`)
    case "action_undone":
      describe(ev);
      return false; // the state before the action is the server's to restore
    default:
      return false; // day_opened, day_closed, and anything newer than this page
  }
}

function step(service, counterOnly, at) {
  return {
    service, counter_only: counterOnly, queued_at: at, called_at: null, started_at: null,
    finished_at: null, counter: null, clerk: null, outcome: null, reason: null, detail: null,
    referral: null,
  };
}

function current(visit) {
  return visit.steps[visit.index];
}

/** The line under the current visit: what just happened at this counter. */
function describe(ev) {
  if (ev.counter !== login.counter) return;
  const n = ev.number;
  const visit = n ? model.visits.get(n) : undefined;
  switch (ev.type) {
    case "counter_opened": outcome = t("console.done.opened"); break;
    case "counter_closed": outcome = t("console.done.closed"); break;
    case "counter_paused": outcome = t("console.done.paused"); break;
    case "counter_resumed": outcome = t("console.done.resumed"); break;
    case "visit_called": outcome = t("console.done.called", { number: n }); break;
    case "visit_recalled": outcome = t("console.done.recalled", { number: n }); break;
    case "service_started": outcome = t("console.done.started", { number: n }); break;
    case "visit_missed": outcome = t("console.done.no_show", { number: n }); break;
    case "visit_transferred": {
      const parts = [];
      if (ev.service) parts.push(serviceName(ev.service));
      if (ev.to_counter) parts.push(t("console.done.transfer_counter", { counter: counterLabel(ev.to_counter) }));
      outcome = t("console.done.transferred", { number: n, target: parts.join(", ") });
      break;
    }
    case "step_finished": {
      if (visit && visit.status === "waiting") {
        const next = current(visit);
        outcome = next.counter_only
          ? t("console.done.next_service_counter", { number: n, service: serviceName(next.service), counter: counterLabel(next.counter_only) })
          : t("console.done.next_service", { number: n, service: serviceName(next.service) });
      } else {
        const key = { refused: "refused", referred: "referred", behaviour: "behaviour" }[ev.outcome] || "finished";
        outcome = t(`console.done.${key}`, { number: n });
      }
      break;
    }
    case "action_undone":
      outcome = t("console.done.undone", { action: t(`console.undo_action.${ev.action}`), number: n });
      break;
    default:
      return;
  }
}

// --------------------------------------------------------------------- actions

/** Keyboard shortcut of each action, shown on its button. */
function decorate(button) {
  const key = button.dataset.key;
  button.setAttribute("aria-keyshortcuts", key);
  let badge = button.querySelector("kbd");
  if (!badge) {
    badge = el("kbd", { "aria-hidden": "true" }, key);
    button.append(badge);
  }
  button.title = `${t("console.action.shortcut")}: ${key}`;
}

function decorateAll() {
  for (const button of document.querySelectorAll("button.act")) decorate(button);
}

function onKey(event) {
  if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
  if ($("#console").hidden || document.querySelector("dialog[open]")) return;
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable], summary")) return;
  const key = event.key.length === 1 ? event.key.toUpperCase() : "";
  if (!key) return;
  const button = document.querySelector(`button.act[data-key="${key}"]`);
  if (!button) return;
  event.preventDefault();
  if (!button.disabled) button.click();
}

const DIALOGS = {
  call_number: "#dlg-call",
  transfer: "#dlg-transfer",
  refuse: "#dlg-refuse",
  refer: "#dlg-refer",
  behaviour: "#dlg-behaviour",
};

function act(action) {
  if (DIALOGS[action]) {
    openDialog(action);
    return;
  }
  const mine = model.counters.get(login.counter);
  switch (action) {
    case "open_close": send(mine && mine.status !== "closed" ? "close" : "open"); break;
    case "pause_resume": send(mine && mine.status === "paused" ? "resume" : "pause"); break;
    case "finish": send("finish", { outcome: "served" }); break;
    case "manager": alertManager(); break;
    default: send(action);
  }
}

/** Send one request; show its refusal; true when it succeeded. */
async function send(type, fields = {}, problemBox = null) {
  if (!conn || busy) return false;
  busy = true;
  render();
  try {
    const reply = await conn.request(type, fields);
    afterResult(reply);
    return true;
  } catch (error) {
    showProblem(error, problemBox);
    return false;
  } finally {
    busy = false;
    render();
  }
}

function afterResult(reply) {
  const events = reply.events || [];
  const seqs = reply.seq || [];
  if (events.length) {
    const newest = Math.max(...events.map((e) => e.at || 0));
    if (newest) serverOffset = newest - Date.now();
  }
  // Usually the broadcast came first; if not, the result's events are applied here
  // (each only once: by sequence number).
  if (events.length === seqs.length) events.forEach((event, i) => onEvent(seqs[i], event, false));
  if (events.length) refreshFigures();
}

async function alertManager() {
  const ok = await send("alert_manager");
  if (ok) {
    managerNote = t("console.counter.manager_sent", { time: clock(serverNow(), model.info?.timezone) });
    renderCounter();
  }
}

function openDialog(action) {
  const dialog = $(DIALOGS[action]);
  const form = dialog.querySelector("form");
  form.reset();
  const problem = form.querySelector(".dlg-problem");
  problem.hidden = true;
  if (action === "call_number") {
    const waiting = waitingHere().map((v) => v.number);
    $("#call-waiting").textContent = waiting.length ? t("console.dialog.call_waiting", { numbers: waiting.join(", ") }) : "";
  } else if (action === "transfer") {
    fillTransfer();
  } else if (action === "refuse") {
    renderReasons();
    renderRefusalReminder();
  }
  dialog.showModal();
  const first = form.querySelector("input:not([type=checkbox]), select, textarea");
  if (first) first.focus();
}

async function onDialogSubmit(event) {
  event.preventDefault();
  const form = event.target;
  const dialog = form.closest("dialog");
  const problem = form.querySelector(".dlg-problem");
  const data = new FormData(form);
  const value = (name) => (data.get(name) || "").toString().trim();
  let ok = false;
  switch (form.dataset.act) {
    case "call_number":
      ok = await send("call_number", { number: value("number").toUpperCase() }, problem);
      break;
    case "transfer":
      ok = await send("transfer", { service: value("service"), to_counter: value("to_counter") }, problem);
      break;
    case "refuse":
      if (!data.get("told")) {
        showProblem({ message: t("console.dialog.refuse_need_told") }, problem);
        $("#refuse-told").focus();
        return;
      }
      ok = await send("finish", { outcome: "refused", reason: value("reason"), detail: value("detail") }, problem);
      break;
    case "refer":
      ok = await send("finish", { outcome: "referred", referral: value("referral"), detail: value("detail") }, problem);
      break;
    case "behaviour": {
      const manager = !!data.get("manager");
      ok = await send("finish", { outcome: "behaviour", detail: value("detail") }, problem);
      if (ok && manager) await alertManager();
      break;
    }
  }
  if (ok) dialog.close();
}

function fillTransfer() {
  const services = (model.info?.services || []).map((s) => el("option", { value: s.id }, local(s.name)));
  fill($("#transfer-service"), el("option", { value: "" }, t("console.dialog.transfer_same_service")), ...services);
  const counters = (model.info?.counters || [])
    .filter((c) => c.id !== login.counter)
    .map((c) => el("option", { value: c.id }, `${counterLabel(c.id)} (${c.services.map(serviceName).join(", ")})`));
  fill($("#transfer-counter"), el("option", { value: "" }, t("console.dialog.transfer_any_counter")), ...counters);
}

function renderReasons() {
  const select = $("#refuse-reason");
  const chosen = select.value;
  let reasons = model.refusalReasons;
  if (!reasons) {
    const prefix = "console.reason.";
    reasons = keys(prefix).map((key) => ({ id: key.slice(prefix.length), label: { [lang()]: t(key) } }));
  }
  fill(select, el("option", { value: "" }, t("console.dialog.refuse_choose")),
    ...reasons.map((r) => el("option", { value: r.id }, local(r.label) || r.id)));
  select.value = chosen;
  const none = reasons.length === 0;
  const problem = $("#dlg-refuse .dlg-problem");
  if (none) showProblem({ message: t("console.dialog.refuse_no_reasons") }, problem);
}

function renderRefusalReminder() {
  const select = $("#refuse-reason");
  const option = select.selectedOptions[0];
  $("#refuse-reason-text").textContent = option && option.value ? option.textContent : "";
  const contacts = model.info?.contacts || {};
  $("#refuse-complaint").textContent = t("complaint.right", {
    address: contacts.address || "", email: contacts.email || "",
  });
}

// --------------------------------------------------------------------- figures

function refreshFigures() {
  clearTimeout(figuresTimer);
  figuresTimer = setTimeout(loadFigures, 150);
}

async function loadFigures() {
  if (!conn || linkState !== "open") return;
  try {
    const reply = await conn.request("counter_figures");
    const { type, id, ...rest } = reply;
    figures = rest.figures || rest;
    figuresProblem = null;
  } catch (error) {
    if (error.code === "lost") return;
    figuresProblem = error;
  }
  renderFigures();
}

// ----------------------------------------------------------------------- views

function myCounterInfo() {
  return (model.info?.counters || []).find((c) => c.id === login.counter);
}

function counterLabel(id) {
  const info = (model.info?.counters || []).find((c) => c.id === id);
  return String(info ? info.number : id);
}

function serviceName(id) {
  const info = (model.info?.services || []).find((s) => s.id === id);
  return info ? local(info.name) || id : id;
}

function currentVisit() {
  const mine = model.counters.get(login.counter);
  return mine && mine.current ? model.visits.get(mine.current) : undefined;
}

function waitingHere() {
  const services = myCounterInfo()?.services || [];
  return [...model.visits.values()]
    .filter((v) => v.status === "waiting" && services.includes(current(v).service)
      && (!current(v).counter_only || current(v).counter_only === login.counter))
    .sort((a, b) => a.arrival - b.arrival);
}

function render() {
  if ($("#console").hidden) return;
  renderWhere();
  renderVisit();
  renderCounter();
  renderQueues();
  renderFigures();
  renderButtons();
  renderUndo();
  renderSwitch();
}

function renderWhere() {
  const where = $("#where");
  where.hidden = false;
  const name = model.info ? local(model.info.name) : login.division;
  where.textContent = `${name} · ${t("console.counter_number", { number: counterLabel(login.counter) })} · ${t("console.user", { user: login.user })}`;
}

function renderVisit() {
  const visit = currentVisit();
  const tz = model.info?.timezone;
  $("#visit-number").textContent = visit ? visit.number : "—";
  $("#visit-status").textContent = visit
    ? t(visit.status === "serving" ? "console.visit.serving" : "console.visit.called")
    : t("console.visit.none");
  $("#call").dataset.status = visit ? visit.status : "none";
  const steps = $("#visit-steps");
  const facts = $("#visit-facts");
  if (!visit) {
    fill(steps);
    fill(facts);
  } else {
    fill(steps, ...visit.steps.map((s, i) => {
      const now = i === visit.index;
      const state = now ? "console.visit.step_now" : i < visit.index ? "console.visit.step_done" : "console.visit.step_next";
      const item = el("li", { class: now ? "step step-now" : i < visit.index ? "step step-done" : "step", "aria-current": now ? "step" : null },
        el("span", { class: "step-name" }, serviceName(s.service)),
        el("span", { class: "step-state" }, t(state)));
      if (s.counter_only) item.append(el("span", { class: "step-state" }, t("console.visit.step_only_counter", { counter: counterLabel(s.counter_only) })));
      return item;
    }));
    const priority = visit.priority
      ? (model.info?.priorities || []).find((p) => p.id === visit.priority)
      : null;
    fill(facts,
      visit.priority ? el("li", { class: "fact-priority" }, t("console.visit.priority", { label: priority ? local(priority.label) : visit.priority })) : null,
      visit.appointment ? el("li", {}, t("console.visit.appointment", { code: visit.appointment, time: clock(visit.due, tz) })) : null,
      el("li", {}, t("console.visit.arrived", { time: clock(visit.arrival, tz) })),
      el("li", {}, t("console.visit.visitor_language", { language: has(`language.${visit.lang}`) ? t(`language.${visit.lang}`) : visit.lang })),
      visit.recalls ? el("li", {}, t("console.visit.recalls", { count: visit.recalls })) : null,
    );
  }
  $("#outcome").textContent = outcome;
}

function renderCounter() {
  const mine = model.counters.get(login.counter);
  const status = mine ? mine.status : "closed";
  $("#counter-number").textContent = counterLabel(login.counter);
  const other = mine && mine.clerk && model.actor && mine.clerk !== model.actor;
  const line = $("#counter-status");
  line.textContent = other ? t("console.counter.other_clerk") : t(`console.counter.status_${status}`);
  line.dataset.status = other ? "other" : status;
  $("#open-close-label").textContent = t(status === "closed" ? "console.counter.open" : "console.counter.close");
  $("#pause-label").textContent = t(status === "paused" ? "console.counter.resume" : "console.counter.pause");
  const note = model.alert && !managerNote
    ? t("console.counter.manager_sent", { time: clock(model.alert.at, model.info?.timezone) })
    : managerNote;
  $("#manager-note").textContent = note;
}

function renderQueues() {
  const list = $("#queues");
  const services = myCounterInfo()?.services || [];
  if (!services.length) {
    fill(list, el("li", {}, t("console.queue.none")));
    return;
  }
  // Counts come from the page's own copy of the visits (exact, and current after a
  // resume, which replays events but no queue summary); estimates from the server.
  const arrivals = {};
  for (const v of model.visits.values()) {
    if (v.status === "waiting") (arrivals[current(v).service] ||= []).push(v.arrival);
  }
  fill(list, ...services.map((id) => {
    const waiting = arrivals[id] || [];
    const q = {
      ...(model.queues[id] || { estimate_ms: null }),
      waiting: waiting.length,
      longest_wait_ms: !waiting.length ? 0
        : serverOffset === null ? model.queues[id]?.longest_wait_ms ?? 0
          : Math.max(0, serverNow() - Math.min(...waiting)),
    };
    const estimate = q.estimate_ms === null || q.estimate_ms === undefined
      ? t("console.queue.estimate_none")
      : t("console.queue.estimate", { minutes: Math.round(q.estimate_ms / 60000) });
    return el("li", { class: "queue", "data-service": id },
      el("span", { class: "queue-name" }, serviceName(id)),
      el("span", { class: "queue-count" }, t("console.queue.waiting", { count: q.waiting })),
      el("span", { class: "queue-more" }, q.waiting
        ? `${estimate}; ${t("console.queue.longest", { minutes: Math.round((q.longest_wait_ms || 0) / 60000) })}`
        : estimate));
  }));
}

function renderFigures() {
  const list = $("#figures");
  const problem = $("#figures-problem");
  if (figuresProblem) {
    const { text } = explain(figuresProblem);
    problem.hidden = false;
    problem.textContent = t("console.figures.unavailable", { message: figuresProblem.message || text });
  } else {
    problem.hidden = true;
  }
  if (!figures) {
    fill(list);
    return;
  }
  const rows = ["served", "refused", "referred", "behaviour", "no_shows", "transferred"]
    .filter((key) => key in figures)
    .map((key) => [t(`console.figures.${key}`), String(figures[key])]);
  const mean = figures.mean_service_ms;
  rows.push([t("console.figures.mean"), mean === null || mean === undefined
    ? t("console.figures.mean_none")
    : t("console.figures.mean_value", { minutes: Math.floor(mean / 60000), seconds: Math.round((mean % 60000) / 1000) })]);
  fill(list, ...rows.map(([name, value], i) => el("div", { class: i === rows.length - 1 ? "figure figure-wide" : "figure" }, el("dt", {}, name), el("dd", {}, value))));
}

/** What can apply now, by the counter's and the visit's state (the server decides). */
function enabled() {
  const live = linkState === "open" && model.ready && !busy;
  const mine = model.counters.get(login.counter);
  const status = mine ? mine.status : "closed";
  const other = mine && mine.clerk && model.actor && mine.clerk !== model.actor;
  const visit = currentVisit();
  const called = visit && visit.status === "called";
  const serving = visit && visit.status === "serving";
  const idleOpen = status === "open" && !visit;
  return {
    open_close: live && !other && !visit,
    pause_resume: live && !other && status !== "closed" && !visit,
    call_next: live && !other && idleOpen,
    call_number: live && !other && idleOpen,
    recall: live && !other && called,
    no_show: live && !other && called,
    start: live && !other && called,
    finish: live && !other && (called || serving),
    transfer: live && !other && (called || serving),
    refuse: live && !other && (called || serving),
    refer: live && !other && (called || serving),
    behaviour: live && !other && (called || serving),
    undo: live && !other && undoLeft() !== 0,
    manager: live,
  };
}

function renderButtons() {
  const can = enabled();
  for (const button of document.querySelectorAll("button.act")) {
    button.disabled = !can[button.dataset.act];
  }
  $("#switch-form").querySelector("button").disabled = !(linkState === "open" && !busy);
}

/** Milliseconds left to undo (null: unknown but possible), or 0. */
function undoLeft() {
  const last = model.last;
  if (!last) return 0;
  const visit = model.visits.get(last.number);
  const mine = model.counters.get(login.counter);
  if (!visit || !mine || visit.version !== last.visitVersion || mine.version !== last.counterVersion) return 0;
  if (serverOffset === null) return null;
  const left = Math.min(model.undoMs, model.undoMs - (serverNow() - last.at));
  return left > 0 ? left : 0;
}

let undoShown = null;

function renderUndo() {
  if ($("#console").hidden) return;
  const left = undoLeft();
  const label = left ? t("console.action.undo_seconds", { seconds: Math.ceil(left / 1000) }) : t("console.action.undo");
  if (label !== undoShown) {
    undoShown = label;
    $("#undo-label").textContent = label;
  }
  const button = document.querySelector('button.act[data-act="undo"]');
  const can = linkState === "open" && model.ready && !busy && left !== 0;
  if (button.disabled === can) button.disabled = !can;
}

function renderSwitch() {
  const select = $("#switch-counter");
  const counters = model.info?.counters || [];
  if (select.options.length !== counters.length) {
    fill(select, ...counters.map((c) => el("option", { value: c.id }, `${counterLabel(c.id)} — ${c.services.map(serviceName).join(", ")}`)));
  }
  select.value = login.counter;
}

// ---------------------------------------------------------------------- errors

/** Show an error in plain words (the catalog's sentence for its code, and the
 *  server's own message), in a dialog's box or the page's. `null` hides it. */
function showProblem(error, box = null) {
  if (box) {
    box.hidden = !error;
    if (error) {
      const { text, detail } = explain(error);
      fill(box, el("span", {}, text), detail && detail !== text ? el("span", { class: "problem-detail" }, t("console.server_said", { message: detail })) : null);
    }
    return;
  }
  const main = $("#problem");
  if (!error) {
    main.hidden = true;
    return;
  }
  let { text, detail } = explain(error);
  if (error.code === "lost" || error.code === "timeout") {
    text = t("console.lost_request");
    detail = error.message;
  }
  $("#problem-text").textContent = text;
  $("#problem-detail").textContent = detail && detail !== text ? t("console.server_said", { message: detail }) : "";
  main.hidden = false;
}
