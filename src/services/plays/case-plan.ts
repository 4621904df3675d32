// The case plays of a workspace's active playbook, resolved against its model and settings: which
// bands hold a case, which play opened a case, where its thread goes, who is told when nobody claims it.
import type { WorkspaceSettings } from "../../config/workspace-settings.ts";
import { activePlaybook } from "../../db/repositories/playbooks.ts";
import { findActiveModel } from "../../db/repositories/models.ts";
import { DEFAULT_MODEL } from "../../domain/model/default-model.ts";
import type { ScoringModel } from "../../domain/model/schema.ts";
import { casePlays, resolveBands, type CasePlay } from "../../domain/plays/case-plays.ts";
import type { Playbook } from "../../domain/plays/schema.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { riskBands } from "../account-lists.ts";

export interface CasePlan {
  playbook: Playbook;
  model: ScoringModel;
  plays: CasePlay[];
  /** The plays that keep a case open while the account is in their bands, in the file's order. */
  level: CasePlay[];
  /** The model's lowest bands (each segment's): what `lowest` names. */
  lowest: string[];
  /** The bands a level play holds a case in; the lowest bands when no play does. */
  risk: string[];
}

export function casePlan(playbook: Playbook, model: ScoringModel): CasePlan {
  const plays = casePlays(playbook);
  const level = plays.filter((p) => p.level);
  const lowest = riskBands(model);
  const risk = level.length > 0 ? [...new Set(level.flatMap((p) => resolveBands(p.bands, lowest)))] : lowest;
  return { playbook, model, plays, level, lowest, risk };
}

export async function loadCasePlan(prisma: PrismaClient, workspaceId: number): Promise<CasePlan> {
  const [playbook, model] = await Promise.all([
    activePlaybook(prisma, workspaceId),
    findActiveModel(prisma, workspaceId),
  ]);
  return casePlan(playbook.playbook, model?.model ?? DEFAULT_MODEL);
}

/** The play that opened a case; null for a case opened before playbooks, or by a play since removed. */
export function playOf(plan: CasePlan, playKey: string | null): CasePlay | null {
  return playKey === null ? null : (plan.plays.find((p) => p.key === playKey) ?? null);
}

/** A playbook's channel: "alert_channel" or "digest_channel" (the setting, null while unset), or an id. */
export function channelOfRef(
  ref: string,
  settings: Pick<WorkspaceSettings, "alert_channel" | "digest_channel">,
): string | null {
  if (ref === "alert_channel") return settings.alert_channel;
  if (ref === "digest_channel") return settings.digest_channel;
  return ref;
}

/** Where a case's thread goes: its play's channel, or (no play) the alert channel. */
export function caseChannel(
  play: CasePlay | null,
  settings: Pick<WorkspaceSettings, "alert_channel" | "digest_channel">,
): string | null {
  return channelOfRef(play?.channel ?? "alert_channel", settings);
}

/**
 * When and to whom a case is escalated: its play's escalate action (business days unset: the
 * workspace's setting); a case without a play, the workspace's settings; a play without one, never.
 */
export function caseEscalation(
  play: CasePlay | null,
  settings: Pick<WorkspaceSettings, "escalate_after_business_days" | "escalation_lead">,
): { afterBusinessDays: number; lead: string | null } | null {
  if (play && !play.escalate) return null;
  const after = play?.escalate?.afterBusinessDays ?? settings.escalate_after_business_days;
  const to = play?.escalate?.to ?? "escalation_lead";
  return { afterBusinessDays: after, lead: to === "escalation_lead" ? settings.escalation_lead : to };
}
