// Every action, block and callback id, and the small versioned JSON that buttons carry. A button
// pressed on a message posted by an older version still parses, or fails with a clear message.
import { z } from "zod";

export const ACTIONS = {
  shareCard: "css_share_card",
  showAccount: "css_show_account",
  assignToMe: "css_assign_me",
  assignUser: "css_assign_user",
  snooze: "css_snooze",
  resolve: "css_resolve",
  watch: "css_watch",
  logNote: "css_log_note",
  showTimeline: "css_show_timeline",
  taskDone: "css_task_done",
} as const;

export const COMMAND = "/css";

/** A button about one account: `{"v":1,"a":123}`. Ids only; never names or figures. */
export const accountValue = z.object({ v: z.literal(1), a: z.number().int().positive() });
export type AccountValue = z.infer<typeof accountValue>;

export function encodeAccountValue(accountId: number): string {
  return JSON.stringify({ v: 1, a: accountId } satisfies AccountValue);
}

/** The button's account id, or null when the value is not one this version wrote. */
export function decodeAccountValue(value: string | undefined): number | null {
  if (!value) return null;
  try {
    const parsed = accountValue.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data.a : null;
  } catch {
    return null;
  }
}

/** A button about one at-risk case, at the version the message showed: `{"v":1,"c":"42","n":3}`. */
export const caseValue = z.object({
  v: z.literal(1),
  c: z.string().regex(/^\d+$/),
  n: z.number().int().min(0),
});

export function encodeCaseValue(caseId: bigint, version: number): string {
  return JSON.stringify({ v: 1, c: caseId.toString(), n: version } satisfies z.infer<typeof caseValue>);
}

export function decodeCaseValue(value: string | undefined): { caseId: bigint; version: number } | null {
  if (!value) return null;
  try {
    const parsed = caseValue.safeParse(JSON.parse(value));
    return parsed.success ? { caseId: BigInt(parsed.data.c), version: parsed.data.n } : null;
  } catch {
    return null;
  }
}

/** A case's task, at the version the message showed: `{"v":1,"c":"42","n":3,"t":0}`. */
export const taskValue = caseValue.extend({ t: z.number().int().min(0).max(50) });

export function encodeTaskValue(caseId: bigint, version: number, task: number): string {
  return JSON.stringify({ v: 1, c: caseId.toString(), n: version, t: task } satisfies z.infer<
    typeof taskValue
  >);
}

export function decodeTaskValue(
  value: string | undefined,
): { caseId: bigint; version: number; task: number } | null {
  if (!value) return null;
  try {
    const parsed = taskValue.safeParse(JSON.parse(value));
    return parsed.success
      ? { caseId: BigInt(parsed.data.c), version: parsed.data.n, task: parsed.data.t }
      : null;
  } catch {
    return null;
  }
}

export const VIEWS = {
  snooze: "css_snooze_view",
  settings: "css_settings_view",
  logNote: "css_log_note_view",
} as const;
export const SNOOZE_BLOCKS = { days: "snooze_days", reason: "snooze_reason" } as const;
export const NOTE_BLOCKS = { text: "note_text" } as const;
