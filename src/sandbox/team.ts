// The sandbox's Slack team: its members (the demo's account owners, a lead who is an admin, and a
// guest) and its channels. Everything about it is made up and local; the ids look like Slack's.
import { CSM_OWNERS } from "../demo/company-names.ts";

export const SANDBOX_TEAM = { id: "T0SANDBOX", name: "Sandbox" } as const;
export const SANDBOX_BOT_TOKEN = "xoxb-sandbox";

export interface SandboxMember {
  id: string;
  name: string;
  handle: string;
  email: string;
  title: string;
  isAdmin: boolean;
  /** A guest (multi-channel guest: is_restricted). */
  isGuest: boolean;
}

export interface SandboxChannel {
  id: string;
  name: string;
  purpose: string;
}

/** "maya.chen@example.com" -> "Maya Chen" */
const nameOf = (email: string) =>
  email
    .split("@")[0]!
    .split(".")
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(" ");

export const SANDBOX_MEMBERS: readonly SandboxMember[] = [
  {
    id: "U0LEAD",
    name: "Robin Hale",
    handle: "robin",
    email: "robin.hale@example.com",
    title: "Head of Customer Success (admin)",
    isAdmin: true,
    isGuest: false,
  },
  ...CSM_OWNERS.map((email) => ({
    id: `U0${email.split(".")[0]!.toUpperCase()}`,
    name: nameOf(email),
    handle: email.split(".")[0]!,
    email,
    title: "Customer Success Manager",
    isAdmin: false,
    isGuest: false,
  })),
  {
    id: "U0GUEST",
    name: "Gale Guest",
    handle: "gale",
    email: "gale@partner.example.org",
    title: "Guest from a partner",
    isAdmin: false,
    isGuest: true,
  },
];

export const SANDBOX_CHANNELS: readonly SandboxChannel[] = [
  { id: "C0ALERTS", name: "cs-alerts", purpose: "a thread for every account that becomes at risk" },
  { id: "C0DIGEST", name: "cs-digest", purpose: "the daily digest of band changes" },
  { id: "C0GENERAL", name: "general", purpose: "try /css here" },
];

export function memberById(id: string): SandboxMember | undefined {
  return SANDBOX_MEMBERS.find((m) => m.id === id);
}
