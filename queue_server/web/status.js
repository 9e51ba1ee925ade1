// The visitor's status page, opened from the QR code on the ticket.
//
// The address /v/<division>.<number>.<mac> is the credential: the page says hello
// with it and then hears `status` messages about that one visit (docs/protocol.md),
// pushed by the server on every change: no polling. Texts come from the catalogs in
// the ticket's language. Everything is set as text, never as HTML.

import { $, Connection, clock, fill, loadLanguage, t, translate, el } from "/rinda.js";

const OVER = new Set(["done", "cancelled", "expired"]);
const token = decodeURIComponent(location.pathname.split("/v/")[1] || "");
const division = token.split(".")[0];
let loaded = null;

async function useLanguage(lang) {
  if (loaded === lang) return;
  loaded = await loadLanguage(lang);
  document.title = t("status_page.title");
  translate();
}

function render(status) {
  fill($("#number"), status.number);
  fill($("#division"), status.division || "");
  const call = $("#call");
  const line = $("#line");
  const counter = status.counter ? status.counter.number : null;
  const note = status.counter && status.counter.note ? ` ${status.counter.note}` : "";
  fill(call);
  fill(line);
  if (status.status === "called") {
    fill(call, t("status_page.called", { counter }) + note);
  } else if (status.status === "serving") {
    fill(line, t("status_page.serving", { counter }));
  } else if (status.status === "waiting") {
    const ahead = status.ahead > 0
      ? t("status_page.ahead", { count: status.ahead })
      : t("status_page.next_in_line");
    const when = status.call_at
      ? t("status_page.call_at", { time: clock(status.call_at) })
      : t("status_page.no_estimate");
    fill(line, `${ahead}. ${when}`);
  } else if (status.status === "no_show") {
    fill(line, t("status_page.no_show"));
  } else if (status.status === "done") {
    fill(line, t("status_page.finished"));
  } else if (status.status === "cancelled") {
    fill(line, t("status_page.cancelled"));
  } else {
    fill(line, t("status_page.expired"));
  }
  const steps = (status.steps || []).map((step) => el(
    "li",
    { "aria-current": step.progress === "current" ? "step" : null },
    step.name,
    " ",
    el("span", { class: "progress" }, t(`status_page.${step.progress}_step`)),
  ));
  fill($("#steps"), ...steps);
  fill($("#updated"), t("status_page.updated", { time: clock(Date.now()) }));
}

function showExpired() {
  fill($("#line"), t("status_page.expired"));
  fill($("#call"));
}

async function main() {
  await useLanguage(navigator.language ? navigator.language.slice(0, 2) : "lv");
  const conn = new Connection({ hello: () => ({ division, status: token }) });
  conn.addEventListener("message", async (event) => {
    const message = event.detail;
    if (message.type !== "status") return;
    if (message.lang) await useLanguage(message.lang);
    render(message);
    if (OVER.has(message.status)) conn.stop();
  });
  conn.addEventListener("state", (event) => {
    const box = $("#connection");
    const away = event.detail.state === "reconnecting";
    box.hidden = !away;
    fill(box, away ? t("status_page.reconnecting") : "");
  });
  conn.addEventListener("refused", showExpired);
  try {
    await conn.start();
  } catch (error) {
    if (error.code === "lost") {
      fill($("#connection"), t("status_page.reconnecting"));
      $("#connection").hidden = false;
      setTimeout(main, 5000);
      return;
    }
    showExpired();
  }
}

main();
