// The sandbox page: a Slack workspace for the bot. The state comes from /sandbox/state (what the
// person chosen in "You are" sees) and is fetched again whenever /sandbox/events says something
// changed; what people do is POSTed to /sandbox/* and reaches the bot as Slack's signed requests.
import { el, renderBlocks, mrkdwn } from "./blocks.js";

const KEY = "css-sandbox";
const saved = JSON.parse(localStorage.getItem(KEY) ?? "{}");
let user = new URLSearchParams(location.search).get("user") ?? saved.user ?? null;
let place = "c/C0ALERTS";
let openThread = null;
let state = null;
let loading = null;

const $ = (id) => document.getElementById(id);

async function post(path, body) {
  const res = await fetch(`/sandbox/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    const { error } = await res.json().catch(() => ({ error: res.statusText }));
    showError(error);
  }
  await load();
}

function showError(text) {
  const box = el("div", { class: "problem", role: "alert" }, text);
  $("main").prepend(box);
  setTimeout(() => box.remove(), 8000);
}

async function load() {
  // One fetch at a time; a change during it asks for one more.
  if (loading) return (loading.again = true);
  loading = { again: false };
  try {
    const res = await fetch(`/sandbox/state?user=${encodeURIComponent(user ?? "")}`);
    state = await res.json();
    user = state.me.id;
    render();
  } finally {
    const again = loading.again;
    loading = null;
    if (again) await load();
  }
}

function ctx(extra = {}) {
  return {
    members: state.members,
    channels: state.conversations.filter((c) => c.kind === "channel"),
    ...extra,
  };
}

function render() {
  localStorage.setItem(KEY, JSON.stringify({ user, place }));
  $("team").textContent = state.team.name;
  const who = $("who");
  if (who.options.length !== state.members.length) {
    who.replaceChildren(...state.members.map((m) => el("option", { value: m.id }, `${m.name} — ${m.title}`)));
  }
  who.value = user;
  $("clock").hidden = state.day === null;
  $("day").textContent = state.day ? `Day: ${state.day}` : "";
  renderNav();
  if (place === "home") renderHome();
  else renderConversation();
  renderThread();
  renderModal();
}

function renderNav() {
  const link = (href, label, current) =>
    el(
      "li",
      {},
      el(
        "a",
        { href: `#${href}`, "aria-current": current ? "page" : undefined, onclick: (e) => go(e, href) },
        label,
      ),
    );
  const channels = state.conversations.filter((c) => c.kind === "channel");
  const dms = state.conversations.filter((c) => c.kind === "dm");
  $("nav").replaceChildren(
    link("home", "Home", place === "home"),
    el("li", { class: "section" }, "Channels"),
    ...channels.map((c) => link(`c/${c.id}`, `#${c.name}`, place === `c/${c.id}`)),
    el("li", { class: "section" }, "Direct messages"),
    ...dms.map((c) => link(`c/${c.id}`, c.name, place === `c/${c.id}`)),
  );
}

function go(event, href) {
  event.preventDefault();
  place = href;
  openThread = null;
  history.replaceState(null, "", `#${href}`);
  if (href === "home") void post("home", { user });
  else render();
}

/** A place is "home", "c/<channel>" or "c/<channel>/t/<ts>" (a thread open beside it). */
function takePlace(hash) {
  const [kind, id, t, ts] = (hash || "c/C0ALERTS").split("/");
  place = kind === "home" ? "home" : `c/${id}`;
  openThread = kind === "c" && t === "t" && ts ? { channel: id, ts } : null;
}

function conversation() {
  const id = place.slice(2);
  return state.conversations.find((c) => c.id === id) ?? state.conversations[0];
}

function renderConversation() {
  const c = conversation();
  const title = c.kind === "channel" ? `#${c.name}` : c.name;
  const list = el("div", { class: "messages", role: "log", "aria-label": `Messages in ${title}` });
  for (const m of c.messages) list.append(message(m, c, false));
  for (const p of state.problems.slice(-3)) list.append(el("div", { class: "problem", role: "alert" }, p));
  const box = el("textarea", {
    "aria-label": `Message ${title}`,
    placeholder: `Message ${title} — try /css help`,
  });
  const send = () => {
    const text = box.value.trim();
    if (!text) return;
    box.value = "";
    if (!text.startsWith("/")) return showError("The bot listens to slash commands here: try /css help");
    void post("command", { user, channel: c.id, text });
  };
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      send();
    }
  });
  const main = $("main");
  const hadFocus = document.activeElement?.tagName === "TEXTAREA" && main.contains(document.activeElement);
  const draft = main.querySelector(".composer textarea")?.value ?? "";
  box.value = draft;
  main.replaceChildren(
    el("div", { class: "header" }, el("h1", {}, title), el("p", {}, c.purpose)),
    list,
    el(
      "div",
      { class: "composer" },
      box,
      el("button", { type: "button", class: "btn primary", onclick: send }, "Send"),
    ),
  );
  list.scrollTop = list.scrollHeight;
  if (hadFocus) box.focus();
}

function message(m, c, inThread) {
  const from = m.from === "bot" ? null : state.members.find((p) => p.id === m.from);
  const body = el("div", { class: "body" });
  body.append(
    el(
      "div",
      {},
      el("span", { class: "author" }, from ? from.name : "css-bot"),
      from ? null : el("span", { class: "app-tag" }, "APP"),
      m.edited ? el("span", { class: "edited" }, " (edited)") : null,
    ),
  );
  const where = m.ref;
  const onAction = (action) => void post("action", { user, where, action });
  if (m.blocks && m.blocks.length > 0) body.append(renderBlocks(m.blocks, ctx({ onAction })));
  else if (m.text) body.append(el("div", {}, mrkdwn(m.text, ctx())));
  for (const f of m.files) {
    body.append(
      el(
        "figure",
        { class: "file" },
        el("img", { src: f.url, alt: f.title ?? f.name }),
        el("figcaption", { class: "hint" }, f.title ?? f.name),
      ),
    );
  }
  if (m.ephemeral) body.append(el("div", { class: "only-you" }, "Only visible to you"));
  if (m.refused) {
    body.prepend(
      el(
        "div",
        { class: "violation", role: "alert" },
        el("strong", {}, `A real Slack would have refused this message (${m.refused.error})`),
        el(
          "ul",
          {},
          m.refused.problems.map((p) => el("li", {}, p)),
        ),
      ),
    );
  }
  if (!inThread && m.replies.length > 0) {
    body.append(
      el(
        "button",
        {
          type: "button",
          class: "replies-link",
          onclick: () => {
            openThread = { channel: c.id, ts: m.ts };
            renderThread();
          },
        },
        `${m.replies.length} ${m.replies.length === 1 ? "reply" : "replies"}`,
      ),
    );
  }
  return el(
    "article",
    {
      class: `message${m.ephemeral ? " ephemeral" : ""}`,
      "aria-label": `Message from ${from ? from.name : "css-bot"}`,
    },
    el("div", { class: "avatar", "aria-hidden": "true" }, from ? from.name[0] : "C"),
    body,
  );
}

function renderThread() {
  const pane = $("thread");
  if (!openThread) {
    pane.hidden = true;
    return;
  }
  const c = state.conversations.find((x) => x.id === openThread.channel);
  const parent = c?.messages.find((m) => m.ts === openThread.ts);
  if (!parent) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  pane.replaceChildren(
    el(
      "div",
      { class: "header" },
      el("h1", {}, "Thread"),
      el(
        "button",
        { type: "button", class: "btn", onclick: () => ((openThread = null), renderThread()) },
        "Close thread",
      ),
    ),
    message(parent, c, true),
    ...parent.replies.map((r) => message(r, c, true)),
  );
}

function renderHome() {
  const main = $("main");
  const onAction = (action) => void post("action", { user, where: { home: true }, action });
  const home = state.home;
  main.replaceChildren(
    el("div", { class: "header" }, el("h1", {}, "css-bot"), el("p", {}, "Home")),
    el(
      "div",
      { class: "home", role: "region", "aria-label": "App Home" },
      home ? renderBlocks(home.blocks ?? [], ctx({ onAction })) : el("p", { class: "hint" }, "Opening Home…"),
    ),
  );
}

function renderModal() {
  const dialog = $("modal");
  const modal = state.modal;
  if (!modal) {
    if (dialog.open) dialog.close();
    return;
  }
  if (
    dialog.open &&
    dialog.dataset.viewId === modal.viewId &&
    dialog.dataset.hash === JSON.stringify(modal.view) + JSON.stringify(modal.errors)
  )
    return;
  const inputs = new Map();
  const v = modal.view;
  const onAction = (action) => void post("action", { user, where: { modal: modal.viewId }, action });
  const body = el("div", { class: "body" }, renderBlocks(v.blocks ?? [], ctx({ inputs, onAction })));
  for (const [blockId, text] of Object.entries(modal.errors ?? {})) {
    const slot = body.querySelector(`.input-error[data-block="${CSS.escape(blockId)}"]`);
    if (slot) slot.textContent = text;
  }
  const submit = () => {
    const values = {};
    for (const [key, read] of inputs) {
      const [blockId, actionId] = key.split("\u0000");
      values[blockId] ??= {};
      values[blockId][actionId] = read();
    }
    void post("submit", { user, viewId: modal.viewId, values });
  };
  dialog.dataset.viewId = modal.viewId;
  dialog.dataset.hash = JSON.stringify(modal.view) + JSON.stringify(modal.errors);
  dialog.setAttribute("aria-label", v.title?.text ?? "Modal");
  dialog.replaceChildren(
    el("header", {}, el("h2", {}, v.title?.text ?? "")),
    body,
    el(
      "footer",
      {},
      el(
        "button",
        { type: "button", class: "btn", onclick: () => void post("close", { user }) },
        v.close?.text ?? "Cancel",
      ),
      v.submit
        ? el("button", { type: "button", class: "btn primary", onclick: submit }, v.submit.text)
        : null,
    ),
  );
  if (!dialog.open) dialog.showModal();
}

$("who").addEventListener("change", (e) => {
  user = e.target.value;
  openThread = null;
  if (place === "home") void post("home", { user });
  else void load();
});
$("next-day").addEventListener("click", async (e) => {
  e.target.disabled = true;
  try {
    await post("clock/next-day", {});
  } finally {
    e.target.disabled = false;
  }
});
$("modal").addEventListener("cancel", (e) => {
  e.preventDefault();
  void post("close", { user });
});

// Back and forward, and links typed in the address bar, move between places too.
window.addEventListener("hashchange", () => {
  takePlace(location.hash.slice(1));
  if (place === "home") void post("home", { user });
  else render();
});
takePlace(location.hash.slice(1) || saved.place);

const events = new EventSource("/sandbox/events");
events.onmessage = () => void load();
await load();
if (place === "home") void post("home", { user });
