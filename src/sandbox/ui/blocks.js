// Block Kit in the browser, faithfully enough to judge a message: sections (mrkdwn, fields,
// accessories), headers, dividers, context, images, actions (buttons, static and user selects,
// overflow menus, date pickers) and, in modals, inputs. Text is put into the page with textContent
// only: nothing the bot or the data sent is ever parsed as HTML.
// https://docs.slack.dev/reference/block-kit/blocks, .../block-elements, .../formatting

/** @typedef {{ members: {id: string, name: string}[], channels: {id: string, name: string}[],
 *   onAction?: (action: object) => void, inputs?: Map<string, () => object> }} Ctx */

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
};
export { el };

/** The emoji codes Slack would draw (the ones the bot uses, and common ones); others stay as typed. */
const EMOJI = {
  alarm_clock: "⏰",
  arrow_down: "⬇️",
  arrow_up: "⬆️",
  arrows_counterclockwise: "🔄",
  bar_chart: "📊",
  bell: "🔔",
  bust_in_silhouette: "👤",
  calendar: "📆",
  chart_with_downwards_trend: "📉",
  chart_with_upwards_trend: "📈",
  eyes: "👀",
  heavy_check_mark: "✔️",
  hourglass_flowing_sand: "⏳",
  information_source: "ℹ️",
  large_green_circle: "🟢",
  large_yellow_circle: "🟡",
  memo: "📝",
  moneybag: "💰",
  red_circle: "🔴",
  rotating_light: "🚨",
  skull: "💀",
  tada: "🎉",
  warning: "⚠️",
  white_check_mark: "✅",
  white_circle: "⚪",
  x: "❌",
  zzz: "💤",
};
const emoji = (text) => text.replace(/:([a-z0-9_+-]+):/g, (code, name) => EMOJI[name] ?? code);

/** Slack's three escapes, undone for display (the text is then set as text, never as HTML). */
const unescape = (s) => s.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

/**
 * mrkdwn to DOM nodes: <links|labels>, <@U> and <#C|name> mentions, <!here>, *bold*, _italic_,
 * ~strike~, `code`, ```pre```, > quotes and line breaks.
 */
export function mrkdwn(text, ctx) {
  const out = document.createDocumentFragment();
  const lines = String(text ?? "").split("\n");
  let inPre = null;
  lines.forEach((line, i) => {
    if (inPre !== null) {
      const end = line.indexOf("```");
      if (end >= 0) {
        inPre.push(line.slice(0, end));
        out.append(el("pre", {}, unescape(inPre.join("\n"))));
        inPre = null;
        line = line.slice(end + 3);
        if (line === "") return;
      } else {
        inPre.push(line);
        return;
      }
    }
    const start = line.indexOf("```");
    if (start >= 0 && line.indexOf("```", start + 3) < 0) {
      inline(line.slice(0, start), ctx, out);
      inPre = [line.slice(start + 3)];
      return;
    }
    if (line.startsWith("&gt; ") || line.startsWith("> ")) {
      out.append(el("blockquote", {}, inlineNodes(line.replace(/^(&gt;|>) /, ""), ctx)));
      return;
    }
    inline(line, ctx, out);
    if (i < lines.length - 1) out.append(el("br"));
  });
  if (inPre !== null) out.append(el("pre", {}, unescape(inPre.join("\n"))));
  return out;
}

function inlineNodes(text, ctx) {
  const f = document.createDocumentFragment();
  inline(text, ctx, f);
  return f;
}

const STYLES = [
  ["```", "code"],
  ["`", "code"],
  ["*", "strong"],
  ["_", "em"],
  ["~", "s"],
];

function inline(text, ctx, out) {
  // Angle-bracket tokens first: they are never formatted inside.
  const parts = text.split(/(<[^<>]+>)/);
  for (const part of parts) {
    if (part.startsWith("<") && part.endsWith(">")) out.append(token(part.slice(1, -1), ctx));
    else styled(part, out);
  }
}

function token(inner, ctx) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@")) {
    const id = target.slice(1);
    const member = ctx.members.find((m) => m.id === id);
    return el("span", { class: "mention" }, `@${member ? member.name : (label ?? id)}`);
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const channel = ctx.channels.find((c) => c.id === id);
    return el("span", { class: "mention" }, `#${channel ? channel.name : (label ?? id)}`);
  }
  if (target.startsWith("!")) {
    const what = target.slice(1).split("^")[0];
    return el("span", { class: "mention" }, label ? unescape(label) : `@${what}`);
  }
  const href = unescape(target);
  // A Slack permalink (https://<team>.slack.com/archives/C123/p1764100000000200) opens the message
  // here, as Slack's own client opens it in the app.
  const permalink = /^https:\/\/([a-z0-9-]+\.)?slack\.com\/archives\/([A-Z0-9]+)\/p(\d+)(\d{6})(\?|$)/.exec(
    href,
  );
  if (permalink) {
    return el(
      "a",
      { href: `#c/${permalink[2]}/t/${permalink[3]}.${permalink[4]}` },
      unescape(label ?? target),
    );
  }
  const safe = /^(https?:|mailto:)/i.test(href) ? href : undefined;
  // A link into the sandbox itself (a thread's permalink) stays in this tab.
  const inside = safe !== undefined && safe.startsWith(`${location.origin}/`);
  return el(
    "a",
    { href: safe, target: inside ? undefined : "_blank", rel: inside ? undefined : "noopener noreferrer" },
    unescape(label ?? target),
  );
}

function styled(text, out) {
  // Formatting marks open after a non-word character and close before one (Slack's rule, simplified).
  for (const [mark, tag] of STYLES) {
    const at = findPair(text, mark);
    if (at) {
      styled(text.slice(0, at.start), out);
      const inner = text.slice(at.start + mark.length, at.end);
      const node = el(tag);
      if (tag === "code") node.textContent = unescape(inner);
      else styled(inner, node);
      out.append(node);
      styled(text.slice(at.end + mark.length), out);
      return;
    }
  }
  if (text) out.append(emoji(unescape(text)));
}

function findPair(text, mark) {
  let from = 0;
  for (;;) {
    const start = text.indexOf(mark, from);
    if (start < 0) return null;
    const before = start === 0 ? " " : text[start - 1];
    const after = text[start + mark.length];
    if (/[\w]/.test(before) || after === undefined || after === " " || after === mark[0]) {
      from = start + 1;
      continue;
    }
    const end = text.indexOf(mark, start + mark.length);
    if (end < 0) return null;
    const next = text[end + mark.length];
    if (text[end - 1] === " " || (next !== undefined && /\w/.test(next))) {
      from = start + 1;
      continue;
    }
    return { start, end };
  }
}

/** A text object: mrkdwn or plain_text (with emoji codes shown as written). */
export function textObject(t, ctx) {
  if (!t) return document.createDocumentFragment();
  if (t.type === "mrkdwn") return mrkdwn(t.text, ctx);
  return document.createTextNode(t.emoji === false ? (t.text ?? "") : emoji(t.text ?? ""));
}

const plain = (t) => (t && typeof t.text === "string" ? (t.emoji === false ? t.text : emoji(t.text)) : "");

export function renderBlocks(blocks, ctx) {
  const f = document.createDocumentFragment();
  for (const b of blocks ?? []) f.append(block(b, ctx));
  return f;
}

function block(b, ctx) {
  switch (b.type) {
    case "section": {
      const node = el("div", { class: "b-section" });
      const body = el("div", { class: "b-section-body" });
      if (b.text) body.append(el("div", { class: "b-text" }, textObject(b.text, ctx)));
      if (b.fields)
        body.append(
          el(
            "div",
            { class: "b-fields" },
            b.fields.map((t) => el("div", { class: "b-field" }, textObject(t, ctx))),
          ),
        );
      node.append(body);
      if (b.accessory)
        node.append(el("div", { class: "b-accessory" }, element(b.accessory, b.block_id, ctx)));
      return node;
    }
    case "header":
      return el("h3", { class: "b-header" }, plain(b.text));
    case "divider":
      return el("hr", { class: "b-divider" });
    case "context":
      return el(
        "div",
        { class: "b-context" },
        (b.elements ?? []).map((e) =>
          e.type === "image"
            ? el("img", { src: e.image_url, alt: e.alt_text ?? "" })
            : el("span", {}, textObject(e, ctx)),
        ),
      );
    case "image":
      return el(
        "figure",
        { class: "b-image" },
        b.title ? el("figcaption", {}, plain(b.title)) : null,
        el("img", { src: b.image_url ?? (b.slack_file && b.slack_file.url), alt: b.alt_text ?? "" }),
      );
    case "actions":
      return el(
        "div",
        { class: "b-actions" },
        (b.elements ?? []).map((e) => element(e, b.block_id, ctx)),
      );
    case "input":
      return input(b, ctx);
    case "markdown":
      return el("div", { class: "b-text" }, mrkdwn(b.text, ctx));
    case "rich_text":
      return el("div", { class: "b-text" }, richText(b.elements ?? [], ctx));
    default:
      return el("div", { class: "b-unknown" }, `[${b.type} block]`);
  }
}

function richText(elements, ctx) {
  const f = document.createDocumentFragment();
  for (const e of elements) {
    if (e.type === "text") {
      const tag = e.style?.code
        ? "code"
        : e.style?.bold
          ? "strong"
          : e.style?.italic
            ? "em"
            : e.style?.strike
              ? "s"
              : null;
      f.append(tag ? el(tag, {}, e.text) : document.createTextNode(e.text));
    } else if (e.type === "link")
      f.append(el("a", { href: /^https?:/.test(e.url) ? e.url : undefined }, e.text ?? e.url));
    else if (e.type === "user") f.append(token(`@${e.user_id}`, ctx));
    else if (e.type === "channel") f.append(token(`#${e.channel_id}`, ctx));
    else if (e.elements)
      f.append(el(e.type === "rich_text_preformatted" ? "pre" : "div", {}, richText(e.elements, ctx)));
  }
  return f;
}

/** An interactive element; a click or a choice sends block_actions through ctx.onAction. */
function element(e, blockId, ctx) {
  const send = (extra) =>
    ctx.onAction?.({ action_id: e.action_id, block_id: blockId ?? "", type: e.type, ...extra });
  switch (e.type) {
    case "button": {
      const cls = `btn${e.style === "primary" ? " primary" : e.style === "danger" ? " danger" : ""}`;
      if (e.url)
        return el(
          "a",
          { class: cls, href: /^https?:/.test(e.url) ? e.url : undefined, target: "_blank", rel: "noopener" },
          plain(e.text),
        );
      return el(
        "button",
        { class: cls, type: "button", onclick: () => send({ value: e.value }) },
        plain(e.text),
      );
    }
    case "static_select":
      return selectOf(e, plainOptions(e), (opt) => send({ selected_option: opt }));
    case "users_select":
      return selectOf(
        e,
        ctx.members.map((m) => ({ value: m.id, text: { type: "plain_text", text: m.name } })),
        (opt) => send({ selected_user: opt.value }),
      );
    case "overflow": {
      const menu = el("details", { class: "overflow" }, el("summary", { "aria-label": "More actions" }, "⋯"));
      menu.append(
        el(
          "div",
          { class: "overflow-menu" },
          (e.options ?? []).map((o) =>
            el(
              "button",
              { type: "button", onclick: () => send({ selected_option: { value: o.value, text: o.text } }) },
              plain(o.text),
            ),
          ),
        ),
      );
      return menu;
    }
    case "datepicker": {
      const input = el("input", {
        type: "date",
        value: e.initial_date,
        "aria-label": plain(e.placeholder) || "Pick a date",
      });
      input.addEventListener("change", () => send({ selected_date: input.value }));
      return input;
    }
    case "image":
      return el("img", { class: "accessory-image", src: e.image_url, alt: e.alt_text ?? "" });
    default:
      return el("span", { class: "b-unknown" }, `[${e.type}]`);
  }
}

function plainOptions(e) {
  if (e.option_groups) return e.option_groups.flatMap((g) => g.options ?? []);
  return e.options ?? [];
}

function selectOf(e, options, onChoose) {
  const label = plain(e.placeholder) || "Choose";
  const select = el(
    "select",
    { "aria-label": label },
    el("option", { value: "" }, label),
    options.map((o) => el("option", { value: o.value }, plain(o.text))),
  );
  select.addEventListener("change", () => {
    const chosen = options.find((o) => o.value === select.value);
    if (chosen) onChoose(chosen);
  });
  return select;
}

/** An input block of a modal: its element's value is read at submission through ctx.inputs. */
function input(b, ctx) {
  const id = `in-${b.block_id}`;
  const e = b.element ?? {};
  const label = plain(b.label);
  let control;
  let read;
  switch (e.type) {
    case "plain_text_input": {
      control = e.multiline
        ? el("textarea", { id, "aria-label": label })
        : el("input", { id, type: "text", "aria-label": label });
      if (e.initial_value) control.value = e.initial_value;
      read = () => ({ type: e.type, value: control.value });
      break;
    }
    case "number_input": {
      control = el("input", { id, type: "number", "aria-label": label, value: e.initial_value });
      read = () => ({ type: e.type, value: control.value });
      break;
    }
    case "static_select":
    case "users_select":
    case "conversations_select":
    case "channels_select": {
      const options =
        e.type === "static_select"
          ? plainOptions(e)
          : e.type === "users_select"
            ? ctx.members.map((m) => ({ value: m.id, text: { type: "plain_text", text: m.name } }))
            : ctx.channels.map((c) => ({ value: c.id, text: { type: "plain_text", text: `#${c.name}` } }));
      control = el(
        "select",
        { id, "aria-label": label },
        el("option", { value: "" }, plain(e.placeholder) || "Choose"),
        options.map((o) => el("option", { value: o.value }, plain(o.text))),
      );
      const initial =
        e.initial_option?.value ?? e.initial_user ?? e.initial_conversation ?? e.initial_channel;
      if (initial) control.value = initial;
      read = () => {
        const chosen = options.find((o) => o.value === control.value);
        if (e.type === "static_select") return { type: e.type, selected_option: chosen ?? null };
        if (e.type === "users_select") return { type: e.type, selected_user: chosen ? chosen.value : null };
        if (e.type === "channels_select")
          return { type: e.type, selected_channel: chosen ? chosen.value : null };
        return { type: e.type, selected_conversation: chosen ? chosen.value : null };
      };
      break;
    }
    case "datepicker": {
      control = el("input", { id, type: "date", "aria-label": label, value: e.initial_date });
      read = () => ({ type: e.type, selected_date: control.value || null });
      break;
    }
    case "timepicker": {
      control = el("input", { id, type: "time", "aria-label": label, value: e.initial_time });
      read = () => ({ type: e.type, selected_time: control.value || null });
      break;
    }
    case "radio_buttons":
    case "checkboxes": {
      const kind = e.type === "radio_buttons" ? "radio" : "checkbox";
      const initial = new Set([e.initial_option?.value, ...(e.initial_options ?? []).map((o) => o.value)]);
      const boxes = (e.options ?? []).map((o) => {
        const box = el("input", { type: kind, name: id, value: o.value, checked: initial.has(o.value) });
        return { o, box, node: el("label", {}, box, " ", textObject(o.text, ctx)) };
      });
      control = el(
        "fieldset",
        { id, "aria-label": label },
        boxes.map((x) => x.node),
      );
      read = () => {
        const chosen = boxes.filter((x) => x.box.checked).map((x) => x.o);
        return kind === "radio"
          ? { type: e.type, selected_option: chosen[0] ?? null }
          : { type: e.type, selected_options: chosen };
      };
      break;
    }
    default:
      control = el("span", { class: "b-unknown" }, `[${e.type}]`);
      read = () => ({ type: e.type });
  }
  ctx.inputs?.set(`${b.block_id}\u0000${e.action_id}`, read);
  return el(
    "div",
    { class: "b-input" },
    el("label", { for: id }, label, b.optional ? el("span", { class: "optional" }, " (optional)") : null),
    control,
    b.hint ? el("div", { class: "hint" }, plain(b.hint)) : null,
    el("div", { class: "input-error", "data-block": b.block_id }),
  );
}
