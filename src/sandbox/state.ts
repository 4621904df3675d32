// What one person sees in the sandbox, as the page's JSON: the channels with their messages and
// threads, their DM with the bot, the ephemerals only they see, their App Home and open modal.
import type { Sandbox } from "./sandbox.ts";
import { dmOf } from "./slack-api.ts";
import { SANDBOX_CHANNELS, SANDBOX_MEMBERS, SANDBOX_TEAM, memberById } from "./team.ts";

export interface UiMessage {
  /** Where a click on it goes: a channel message's channel and ts, or an ephemeral's id. */
  ref: { channel: string; ts: string } | { ephemeralId: string };
  ts?: string;
  text?: string;
  blocks?: unknown[];
  edited: boolean;
  ephemeral: boolean;
  /** Who it is from: the bot, or a person (a shared message posts in their name). */
  from: string;
  replies: UiMessage[];
  files: { id: string; name: string; title?: string; url: string }[];
  /** Slack would have refused it: its error and the reasons (the page shows them in red). */
  refused?: { error: string; problems: string[] };
}

export interface UiConversation {
  id: string;
  name: string;
  kind: "channel" | "dm";
  purpose: string;
  messages: UiMessage[];
}

export interface UiState {
  version: number;
  team: { id: string; name: string };
  me: { id: string; name: string; title: string; isAdmin: boolean; isGuest: boolean };
  members: { id: string; name: string; title: string }[];
  conversations: UiConversation[];
  home: Record<string, unknown> | null;
  modal: { viewId: string; view: Record<string, unknown>; errors: Record<string, string> } | null;
  problems: string[];
  /** The day the demo's scores are as of, when the sandbox runs the demo. */
  day: string | null;
}

export function sandboxState(sandbox: Sandbox, user: string, day: string | null): UiState {
  const me = memberById(user) ?? SANDBOX_MEMBERS[0]!;
  const version = sandbox.currentVersion();
  const dm = dmOf(me.id);
  const conversations: UiConversation[] = [
    ...SANDBOX_CHANNELS.map((c) => ({
      id: c.id,
      name: c.name,
      kind: "channel" as const,
      purpose: c.purpose,
      messages: messagesOf(sandbox, c.id, me.id),
    })),
    {
      id: dm,
      name: "css-bot",
      kind: "dm",
      purpose: "your messages from the bot",
      messages: messagesOf(sandbox, dm, me.id),
    },
  ];
  return {
    version,
    team: { id: SANDBOX_TEAM.id, name: SANDBOX_TEAM.name },
    me: { id: me.id, name: me.name, title: me.title, isAdmin: me.isAdmin, isGuest: me.isGuest },
    members: SANDBOX_MEMBERS.map((m) => ({ id: m.id, name: m.name, title: m.title })),
    conversations,
    home: sandbox.homeOf(me.id),
    modal: sandbox.openModal(me.id),
    problems: sandbox.problems.filter((p) => p.user === me.id).map((p) => p.what),
    day,
  };
}

function messagesOf(sandbox: Sandbox, channel: string, user: string): UiMessage[] {
  const all = sandbox.fake.messages(channel);
  const files = sandbox.fake.files.filter((f) => f.channel_id === channel);
  const filesOf = (ts: string | undefined, top: boolean) =>
    files
      .filter((f) => (top ? f.thread_ts === undefined : f.thread_ts === ts))
      .map((f) => ({
        id: f.id,
        name: f.filename,
        title: f.title,
        url: `/sandbox/files/${encodeURIComponent(f.id)}`,
      }));
  const toUi = (m: (typeof all)[number]): UiMessage => ({
    ref: { channel, ts: m.ts },
    ts: m.ts,
    text: m.text,
    blocks: m.blocks,
    edited: m.updated > 0,
    ephemeral: false,
    from: "bot",
    replies: all.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts).map(toUi),
    files: filesOf(m.ts, false),
  });
  const top = all.filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts).map(toUi);
  const unthreadedFiles = filesOf(undefined, true);
  const fileMessages: UiMessage[] = unthreadedFiles.map((f) => ({
    ref: { ephemeralId: `file-${f.id}` },
    edited: false,
    ephemeral: false,
    from: "bot",
    replies: [],
    files: [f],
  }));
  const shared: UiMessage[] = sandbox.shared
    .filter((s) => s.channel === channel)
    .map((s) => ({
      ref: { ephemeralId: s.id },
      text: s.text,
      blocks: s.blocks,
      edited: false,
      ephemeral: false,
      from: s.user,
      replies: [],
      files: [],
    }));
  const mine: UiMessage[] = sandbox.ephemeralsFor(user, channel).map((e) => ({
    ref: { ephemeralId: e.id },
    text: e.text,
    blocks: e.blocks,
    edited: false,
    ephemeral: true,
    from: "bot",
    replies: [],
    files: [],
  }));
  return [...top, ...fileMessages, ...shared, ...mine, ...refusedIn(sandbox, channel, user)];
}

/** What the bot tried to post here and a real Slack would have refused, shown rather than lost. */
function refusedIn(sandbox: Sandbox, channel: string, user: string): UiMessage[] {
  return sandbox.fake.refusals
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => {
      if (r.method === "response_url")
        return sandbox.responseTarget(String(r.args.response_url))?.channel === channel;
      if (!r.method.startsWith("chat.")) return false;
      if (r.method === "chat.postEphemeral" && r.args.user !== user) return false;
      return typeof r.args.channel === "string" && dmOf(r.args.channel) === channel;
    })
    .map(({ r, i }) => ({
      ref: { ephemeralId: `refused-${i}` },
      text: typeof r.args.text === "string" ? r.args.text : undefined,
      blocks: Array.isArray(r.args.blocks) ? r.args.blocks : undefined,
      edited: false,
      ephemeral: false,
      from: "bot",
      replies: [],
      files: [],
      refused: { error: `${r.method}: ${r.error}`, problems: r.problems },
    }));
}
