// The sandbox: a Slack workspace played locally for the bot. The fake Web API keeps what the bot
// sends (messages, ephemerals, views, files, response_url bodies); this class adds the people's side:
// who is looking, what they type and click (sent to the bot as signed requests), and one view of it
// all per person for the browser page (state.ts). Nothing here reaches the internet.
import { dmOf, type FakeSlack } from "./slack-api.ts";
import {
  blockActions,
  eventCallback,
  sendToApp,
  slashCommand,
  viewSubmission,
  type Actor,
  type AppAnswer,
  type ElementAction,
} from "./bot-requests.ts";
import { memberById, SANDBOX_CHANNELS, SANDBOX_MEMBERS, SANDBOX_TEAM, type SandboxMember } from "./team.ts";

/** A message only one person sees: an ack's answer, a response_url post, or chat.postEphemeral. */
export interface SandboxEphemeral {
  id: string;
  user: string;
  channel: string;
  text?: string;
  blocks?: unknown[];
  /** The response URL this message answers on (its buttons send it back). */
  responseUrl: string;
}

/** A message a response_url posted with response_type in_channel: everyone sees it. */
export interface SandboxSharedMessage {
  id: string;
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
}

interface ResponseContext {
  user: string;
  channel: string;
  /** The ephemeral the interaction came from: replace_original replaces it, delete_original removes it. */
  ephemeralId?: string;
}

export interface SandboxOptions {
  fake: FakeSlack;
  /** Where the bot takes Slack's requests: http://127.0.0.1:<port>/slack/events */
  appUrl: string;
  signingSecret: string;
}

/** A modal a person has open: the fake's view id and the trigger that opened it. */
interface OpenModal {
  viewId: string;
  errors: Record<string, string>;
}

export class Sandbox {
  readonly ephemerals: SandboxEphemeral[] = [];
  readonly shared: SandboxSharedMessage[] = [];
  /** What the bot did not accept or answered with an error, newest last (shown on the page). */
  readonly problems: { user: string; what: string }[] = [];
  private readonly responseContexts = new Map<string, ResponseContext>();
  /** Response bodies already turned into ephemerals (fake.responses is append-only). */
  private responsesSeen = 0;
  private readonly triggers = new Map<string, string>();
  private viewsSeen = 0;
  private readonly modals = new Map<string, OpenModal[]>();
  private seq = 0;
  private version = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly o: SandboxOptions) {
    for (const m of SANDBOX_MEMBERS) {
      o.fake.addUser({
        id: m.id,
        name: m.name,
        email: m.email,
        is_admin: m.isAdmin,
        is_restricted: m.isGuest,
        team_id: SANDBOX_TEAM.id,
        tz: "Etc/UTC",
      });
    }
    for (const c of SANDBOX_CHANNELS) o.fake.addChannel({ id: c.id, name: c.name });
  }

  get fake(): FakeSlack {
    return this.o.fake;
  }

  /** A number that changes whenever anything visible may have changed (the page polls or listens). */
  currentVersion(): number {
    this.absorb();
    return this.version + this.o.fake.calls.length + this.o.fake.responses.length;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The person's modal on top, if one is open. */
  openModal(
    user: string,
  ): { viewId: string; view: Record<string, unknown>; errors: Record<string, string> } | null {
    this.absorb();
    const top = this.modals.get(user)?.at(-1);
    if (!top) return null;
    const view = this.latestView(top.viewId);
    return view ? { viewId: top.viewId, view, errors: top.errors } : null;
  }

  /** The person's App Home as the bot last published it. */
  homeOf(user: string): Record<string, unknown> | null {
    const published = this.o.fake.views
      .filter((v) => v.method === "views.publish" && v.user_id === user)
      .at(-1);
    return published ? (this.latestView(published.view_id) ?? published.view) : null;
  }

  /** Where a response URL the sandbox made answers: its person and channel. */
  responseTarget(url: string): { user: string; channel: string } | undefined {
    const id = decodeURIComponent(url.split("/").at(-1) ?? "");
    return this.responseContexts.get(id);
  }

  /** Types `/command text` in a channel as `user`. */
  async command(user: string, channel: string, line: string): Promise<void> {
    const command = line.trim().split(/\s+/)[0] ?? "";
    const text = line.trim().slice(command.length).trim();
    const actor = this.actor(user, channel);
    const responseUrl = this.newResponseUrl({ user, channel });
    const trigger = this.newTrigger(user);
    const answer = await this.send(slashCommand(actor, command, text, responseUrl, trigger));
    this.takeAck(answer, { user, channel, responseUrl }, `${command} ${text}`);
  }

  /** Presses a button or picks an option on a message (channel message or ephemeral). */
  async act(
    user: string,
    where: { channel: string; ts: string } | { ephemeralId: string } | { home: true } | { modal: string },
    action: ElementAction,
  ): Promise<void> {
    const trigger = this.newTrigger(user);
    if ("home" in where || "modal" in where) {
      const viewId = "home" in where ? this.homeViewId(user) : where.modal;
      const view = viewId ? this.latestView(viewId) : null;
      if (!viewId || !view) return this.problem(user, "that view is gone");
      const actor = this.actor(user, "");
      const answer = await this.send(blockActions(actor, action, { view: { id: viewId, ...view } }, trigger));
      this.checkStatus(answer, user, `a click on ${action.action_id}`);
      return;
    }
    if ("ephemeralId" in where) {
      const eph = this.findEphemeral(user, where.ephemeralId);
      if (!eph) return this.problem(user, "that message is gone");
      const responseUrl = this.newResponseUrl({ user, channel: eph.channel, ephemeralId: eph.id });
      const answer = await this.send(
        blockActions(
          this.actor(user, eph.channel),
          action,
          { responseUrl, message: { ts: eph.id, blocks: eph.blocks, text: eph.text, ephemeral: true } },
          trigger,
        ),
      );
      this.checkStatus(answer, user, `a click on ${action.action_id}`);
      return;
    }
    const message = this.o.fake.messages(where.channel).find((m) => m.ts === where.ts);
    if (!message) return this.problem(user, "that message is gone");
    const responseUrl = this.newResponseUrl({ user, channel: where.channel });
    const answer = await this.send(
      blockActions(
        this.actor(user, where.channel),
        action,
        {
          responseUrl,
          message: {
            ts: message.ts,
            thread_ts: message.thread_ts,
            blocks: message.blocks,
            text: message.text,
            ephemeral: false,
          },
        },
        trigger,
      ),
    );
    this.checkStatus(answer, user, `a click on ${action.action_id}`);
  }

  /** Submits the person's open modal with these values (by block id, then action id). */
  async submit(user: string, viewId: string, values: Record<string, Record<string, unknown>>): Promise<void> {
    const stack = this.modals.get(user) ?? [];
    const modal = stack.find((m) => m.viewId === viewId);
    const view = this.latestView(viewId);
    if (!modal || !view) return this.problem(user, "that modal is closed");
    const member = this.member(user);
    const answer = await this.send(
      viewSubmission(
        { teamId: SANDBOX_TEAM.id, userId: user, userName: member.handle },
        { id: viewId, ...view },
        values,
      ),
    );
    this.checkStatus(answer, user, "the modal's submission");
    const body = (answer.json ?? {}) as { response_action?: string; errors?: Record<string, string> };
    if (body.response_action === "errors") modal.errors = body.errors ?? {};
    else if (body.response_action === "clear") this.modals.set(user, []);
    else if (body.response_action !== "update" && body.response_action !== "push") {
      this.modals.set(
        user,
        stack.filter((m) => m !== modal),
      );
    }
    this.changed();
  }

  /** Closes the person's top modal without submitting (Cancel). */
  closeModal(user: string): void {
    this.modals.get(user)?.pop();
    this.changed();
  }

  /** Opens the App Home: Slack sends app_home_opened, and the bot publishes the view. */
  async openHome(user: string): Promise<void> {
    const answer = await this.send(
      eventCallback(SANDBOX_TEAM.id, {
        type: "app_home_opened",
        user,
        tab: "home",
        channel: dmOf(user),
      }),
    );
    this.checkStatus(answer, user, "app_home_opened");
  }

  /** Ephemerals one person sees in one channel (acks, response_url posts, chat.postEphemeral). */
  ephemeralsFor(user: string, channel: string): SandboxEphemeral[] {
    this.absorb();
    const viaApi = this.o.fake
      .ephemerals(channel)
      .filter((m) => m.user === user)
      .map((m) => ({
        id: `api-${m.channel}-${m.ts}`,
        user,
        channel: m.channel,
        text: m.text,
        blocks: m.blocks,
        responseUrl: "",
      }));
    return [...this.ephemerals.filter((e) => e.user === user && e.channel === channel), ...viaApi];
  }

  private findEphemeral(
    user: string,
    id: string,
  ): Pick<SandboxEphemeral, "id" | "channel" | "text" | "blocks"> | undefined {
    const own = this.ephemerals.find((e) => e.id === id && e.user === user);
    if (own) return own;
    return this.o.fake
      .ephemerals()
      .filter((m) => m.user === user)
      .map((m) => ({ id: `api-${m.channel}-${m.ts}`, channel: m.channel, text: m.text, blocks: m.blocks }))
      .find((m) => m.id === id);
  }

  private send(request: Parameters<typeof sendToApp>[2]): Promise<AppAnswer> {
    return sendToApp(this.o.appUrl, this.o.signingSecret, request).finally(() => this.changed());
  }

  /** An ack's body is a message the person alone sees (or everyone, with response_type in_channel). */
  private takeAck(
    answer: AppAnswer,
    where: { user: string; channel: string; responseUrl: string },
    what: string,
  ) {
    this.checkStatus(answer, where.user, what);
    const body = answer.json as Record<string, unknown> | null;
    if (!body || (body.text === undefined && body.blocks === undefined)) return;
    this.place(body, where.user, where.channel, where.responseUrl);
    this.changed();
  }

  private checkStatus(answer: AppAnswer, user: string, what: string) {
    if (answer.status !== 200) this.problem(user, `the bot answered ${what} with HTTP ${answer.status}`);
  }

  private problem(user: string, what: string) {
    this.problems.push({ user, what });
    this.changed();
  }

  /** Turns new response_url bodies and new modals into the sandbox's own records. */
  private absorb(): void {
    const { responses, views } = this.o.fake;
    while (this.responsesSeen < responses.length) {
      const { id, body } = responses[this.responsesSeen++]!;
      const context = this.responseContexts.get(id);
      if (!context) continue;
      this.applyResponse(body, context, this.o.fake.responseUrl(id));
    }
    while (this.viewsSeen < views.length) {
      const v = views[this.viewsSeen++]!;
      if (v.method !== "views.open" && v.method !== "views.push") continue;
      const user = v.trigger_id ? this.triggers.get(v.trigger_id) : undefined;
      if (!user) continue;
      const stack = v.method === "views.open" ? [] : (this.modals.get(user) ?? []);
      this.modals.set(user, [...stack, { viewId: v.view_id, errors: {} }]);
    }
  }

  // docs.slack.dev/interactivity/handling-user-interaction#message_responses
  private applyResponse(body: Record<string, unknown>, context: ResponseContext, responseUrl: string) {
    const original = context.ephemeralId
      ? this.ephemerals.findIndex((e) => e.id === context.ephemeralId)
      : -1;
    if (body.delete_original === true) {
      if (original >= 0) this.ephemerals.splice(original, 1);
      return;
    }
    if (body.response_type !== "in_channel" && body.replace_original === true && original >= 0) {
      const e = this.ephemerals[original]!;
      this.ephemerals[original] = {
        ...e,
        text: body.text as string | undefined,
        blocks: body.blocks as unknown[] | undefined,
      };
      return;
    }
    this.place(body, context.user, context.channel, responseUrl);
  }

  private place(body: Record<string, unknown>, user: string, channel: string, responseUrl: string) {
    if (body.response_type === "in_channel") {
      this.shared.push({
        id: `s${++this.seq}`,
        channel,
        user,
        text: body.text as string | undefined,
        blocks: body.blocks as unknown[] | undefined,
      });
    } else {
      this.ephemerals.push({
        id: `e${++this.seq}`,
        user,
        channel,
        text: body.text as string | undefined,
        blocks: body.blocks as unknown[] | undefined,
        responseUrl,
      });
    }
    // No notification here: this runs while the page's listeners read the version (absorb), and the
    // version they read counts the response already.
    this.version++;
  }

  private latestView(viewId: string): Record<string, unknown> | null {
    return this.o.fake.views.filter((v) => v.view_id === viewId).at(-1)?.view ?? null;
  }

  private homeViewId(user: string): string | undefined {
    return this.o.fake.views.filter((v) => v.method === "views.publish" && v.user_id === user).at(-1)
      ?.view_id;
  }

  private newResponseUrl(context: ResponseContext): string {
    const id = `sbx-${++this.seq}`;
    this.responseContexts.set(id, context);
    return this.o.fake.responseUrl(id);
  }

  private newTrigger(user: string): string {
    const trigger = `${Date.now()}.${++this.seq}.sandbox`;
    this.triggers.set(trigger, user);
    return trigger;
  }

  private member(user: string): SandboxMember {
    const member = memberById(user);
    if (!member) throw new Error(`no member ${user} in the sandbox`);
    return member;
  }

  private actor(user: string, channel: string): Actor {
    const member = this.member(user);
    const named = SANDBOX_CHANNELS.find((c) => c.id === channel);
    return {
      teamId: SANDBOX_TEAM.id,
      userId: user,
      userName: member.handle,
      channelId: channel,
      channelName: named?.name ?? "directmessage",
    };
  }

  private changed() {
    this.version++;
    for (const listener of this.listeners) listener();
  }
}
