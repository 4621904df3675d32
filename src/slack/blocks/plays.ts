// `/css plays`: the active plays in words with their fires of the last 7 days, and for admins who
// each would fire for now. Pure. One section per play; a playbook of more plays than one message's
// 50 blocks hold ends with "and N more" (`css-bot plays show` prints them all). No revenue figures.
import type { types } from "@slack/bolt";
import { formatDay } from "../../domain/dates.ts";
import type { ListedPlay, PlaysView } from "../../services/plays/list-plays.ts";
import type { SlackMessage } from "./account-card.ts";
import { MAX_BLOCKS } from "./digest.ts";
import { escCode, escCut } from "./text.ts";

// Each piece of a play's section is cut on its own, so the section stays well under Slack's 3,000
// characters even with every piece at its longest and escaped (plays.test.ts checks the sum).
const LABEL = 80;
const KEY = 60;
const WHEN = 400;
const CONDITIONS = 400;
const ACTIONS = 700;
const GUARDS = 200;
const NAME = 60;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function firesLine(play: ListedPlay): string {
  const fires =
    play.fires === 0
      ? "no fire"
      : `${plural(play.fires, "fire")}${play.accounts > 0 ? ` on ${plural(play.accounts, "account")}` : ""}`;
  return `*Last 7 days:* ${fires}${play.capped > 0 ? ` · ${play.capped} capped` : ""}`;
}

function previewLine(play: ListedPlay, view: PlaysView): string | null {
  if (!view.previewAsked || view.previewRun === null) return null;
  if (play.preview === null) return "*Next fires:* on a connector's failed sync (no preview)";
  const { accounts, names } = play.preview;
  if (accounts === 0) return "*Next fires:* no account";
  const more = accounts > names.length ? ` and ${accounts - names.length} more` : "";
  return `*Next fires:* ${plural(accounts, "account")}: ${names.map((n) => escCut(n, NAME)).join(", ")}${more}`;
}

function playSection(play: ListedPlay, view: PlaysView): types.SectionBlock {
  const lines = [
    `*${escCut(play.label, LABEL)}* \`${escCode(play.key.slice(0, KEY))}\``,
    `*When:* ${escCut(play.when, WHEN)}`,
    `*If:* ${escCut(play.conditions, CONDITIONS)}`,
    `*Then:* ${escCut(play.actions.join("; "), ACTIONS)}`,
    `*Guards:* ${escCut(play.guards, GUARDS)}`,
    firesLine(play),
  ];
  const preview = previewLine(play, view);
  if (preview) lines.push(preview);
  return { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } };
}

const context = (text: string): types.ContextBlock => ({
  type: "context",
  elements: [{ type: "mrkdwn", text }],
});

export function playsMessage(view: PlaysView): SlackMessage {
  const name = escCut(view.playbook.name, 100);
  const which = view.playbook.isDefault
    ? `the default playbook (none stored; \`css-bot plays set FILE\` stores one)`
    : `playbook *${name}*, version ${view.playbook.version}`;
  const head: types.KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "Plays" } },
    context(
      `${plural(view.plays.length, "play")} in ${which} · fires from ${formatDay(view.from)} to ${formatDay(view.today)}`,
    ),
  ];
  if (view.previewUnavailable) {
    head.push(
      context(
        "Slack did not say whether you are an admin, so the preview of next fires is left out: try again in a moment.",
      ),
    );
  }
  if (view.previewAsked) {
    head.push(
      context(
        view.previewRun === null
          ? "No recompute run has finished yet: there is nothing to preview."
          : `*Next fires* (admins): who each play's trigger and conditions select after the run of ${formatDay(view.previewRun.asOf)}; cooldowns, daily caps and quiet hours still apply on top.`,
      ),
    );
  }
  const total = view.plays.reduce((n, p) => n + p.fires, 0);
  const text = `Plays: ${plural(view.plays.length, "play")}, ${plural(total, "fire")} in the last 7 days`;
  if (view.plays.length === 0) {
    return { text, blocks: [...head, context("The active playbook has no plays.")] };
  }
  const room = MAX_BLOCKS - head.length;
  const shown = view.plays.length <= room ? view.plays : view.plays.slice(0, room - 1);
  const blocks: types.KnownBlock[] = [...head, ...shown.map((p) => playSection(p, view))];
  const rest = view.plays.length - shown.length;
  if (rest > 0) {
    blocks.push(context(`and ${plural(rest, "more play")}: \`css-bot plays show\` lists them all.`));
  }
  return { text, blocks };
}
