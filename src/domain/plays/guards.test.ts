import { describe, expect, it } from "vitest";
import { parseDay, type Day } from "../dates.ts";
import {
  capFires,
  capSummary,
  cooldownAllows,
  mergeByAccount,
  quietUntil,
  type PlannedMessage,
} from "./guards.ts";

const d = (text: string): Day => parseDay(text)!;

describe("cooldownAllows", () => {
  it("lets every fire through without a cooldown, or before the first fire", () => {
    expect(cooldownAllows(null, d("2026-03-01"), 7)).toBe(true);
    expect(cooldownAllows(d("2026-03-01"), d("2026-03-01"), 0)).toBe(true);
    expect(cooldownAllows(d("2026-03-01"), d("2026-03-02"), 0)).toBe(true);
  });

  it("keeps a play silent on d..d+6 after a fire on d with a cooldown of 7, and allows d+7", () => {
    const fired = d("2026-03-01");
    const allowed = ["2026-03-01", "2026-03-02", "2026-03-07", "2026-03-08", "2026-03-09"].map((day) => [
      day,
      cooldownAllows(fired, d(day), 7),
    ]);
    expect(allowed).toEqual([
      ["2026-03-01", false],
      ["2026-03-02", false],
      ["2026-03-07", false],
      ["2026-03-08", true],
      ["2026-03-09", true],
    ]);
    expect(cooldownAllows(fired, d("2026-03-02"), 1)).toBe(true);
    // A replay of a day before the last fire is inside the cooldown too.
    expect(cooldownAllows(fired, d("2026-02-28"), 7)).toBe(false);
  });
});

describe("capFires and capSummary", () => {
  const fires = ["a", "b", "c", "d", "e"];

  it("keeps the given order, counting the fires already sent today", () => {
    expect(capFires(fires, 0, undefined)).toEqual({ fire: fires, capped: [] });
    expect(capFires(fires, 0, 3)).toEqual({ fire: ["a", "b", "c"], capped: ["d", "e"] });
    expect(capFires(fires, 2, 3)).toEqual({ fire: ["a"], capped: ["b", "c", "d", "e"] });
    expect(capFires(fires, 5, 3)).toEqual({ fire: [], capped: fires });
    expect(capFires(fires, 0, 10)).toEqual({ fire: fires, capped: [] });
  });

  it("names at most 8 of the capped accounts", () => {
    const names = [
      "Acme",
      "Beta",
      "Gamma",
      "Delta",
      "Eps",
      "Zeta",
      "Eta",
      "Theta",
      "Iota",
      "Kappa",
      "Lambda",
      "Mu",
    ];
    expect(
      capSummary(
        "Sharp drop",
        names.map((name) => ({ name })),
        10,
      ),
    ).toBe(
      "12 more accounts fired Sharp drop today (the limit is 10 a day): " +
        "Acme, Beta, Gamma, Delta, Eps, Zeta, Eta, Theta and 4 more",
    );
    expect(
      capSummary(
        "Sharp drop",
        names.slice(0, 8).map((name) => ({ name })),
        10,
      ),
    ).toBe(
      "8 more accounts fired Sharp drop today (the limit is 10 a day): Acme, Beta, Gamma, Delta, Eps, Zeta, Eta, Theta",
    );
    expect(capSummary("Renewal", [{ name: "Acme" }], 1)).toBe(
      "1 more account fired Renewal today (the limit is 1 a day): Acme",
    );
  });
});

describe("mergeByAccount", () => {
  const msg = (
    destination: PlannedMessage["destination"],
    accountId: number | null,
    playKey: string,
    text: string,
  ): PlannedMessage => ({ destination, accountId, playKey, playLabel: playKey.toUpperCase(), text });
  const alert = { kind: "channel", channel: "C0ALERT" } as const;
  const ana = { kind: "dm", user: "U0ANA" } as const;

  it("makes one message per destination and account, each play's text under its label, in the order given", () => {
    const merged = mergeByAccount([
      msg(alert, 1, "drop", "Acme fell"),
      msg(ana, 1, "drop", "Your Acme fell"),
      msg(alert, 2, "drop", "Beta fell"),
      msg(alert, 1, "renewal", "Acme renews"),
      msg({ kind: "channel", channel: "C0OTHER" }, 1, "renewal", "Acme renews (other)"),
      msg(ana, 1, "detractor", "Acme's NPS 3"),
    ]);
    expect(merged.map((m) => [m.destination, m.accountId, m.plays.map((p) => p.key), m.text])).toEqual([
      [alert, 1, ["drop", "renewal"], "*DROP*\nAcme fell\n\n*RENEWAL*\nAcme renews"],
      [ana, 1, ["drop", "detractor"], "*DROP*\nYour Acme fell\n\n*DETRACTOR*\nAcme's NPS 3"],
      [alert, 2, ["drop"], "Beta fell"],
      [{ kind: "channel", channel: "C0OTHER" }, 1, ["renewal"], "Acme renews (other)"],
    ]);
    expect(merged[0]!.plays).toEqual([
      { key: "drop", label: "DROP" },
      { key: "renewal", label: "RENEWAL" },
    ]);
  });

  it("tells a case apart from a channel or DM of the same id, and never merges messages without an account", () => {
    const merged = mergeByAccount([
      msg({ kind: "case", caseId: "C0ALERT" }, 1, "a", "in case"),
      msg(alert, 1, "b", "in channel"),
      msg(alert, null, "stripe_failed", "Stripe failed"),
      msg(alert, null, "hubspot_failed", "HubSpot failed"),
    ]);
    expect(merged.map((m) => m.text)).toEqual(["in case", "in channel", "Stripe failed", "HubSpot failed"]);
  });
});

describe("quietUntil", () => {
  const night = { from: "19:00", to: "08:00" };
  const at = (iso: string) => new Date(iso);
  const until = (now: string, zone: string, quiet?: { from: string; to: string }) =>
    quietUntil(at(now), zone, quiet)?.toISOString() ?? null;

  it("is null without quiet hours or outside them; from is inside, to is not", () => {
    expect(until("2026-03-10T22:00:00Z", "UTC")).toBeNull();
    expect(until("2026-03-10T18:59:59Z", "UTC", night)).toBeNull();
    expect(until("2026-03-10T08:00:00Z", "UTC", night)).toBeNull();
    expect(until("2026-03-10T12:00:00Z", "UTC", night)).toBeNull();
    expect(until("2026-03-10T19:00:00Z", "UTC", night)).toBe("2026-03-11T08:00:00.000Z");
  });

  it("ends a window over midnight the next morning in the evening, the same morning after midnight", () => {
    expect(until("2026-03-10T23:59:00Z", "UTC", night)).toBe("2026-03-11T08:00:00.000Z");
    expect(until("2026-03-11T00:00:00Z", "UTC", night)).toBe("2026-03-11T08:00:00.000Z");
    expect(until("2026-03-11T07:59:30Z", "UTC", night)).toBe("2026-03-11T08:00:00.000Z");
    // A window within a day.
    expect(until("2026-03-11T12:30:00Z", "UTC", { from: "12:00", to: "14:00" })).toBe(
      "2026-03-11T14:00:00.000Z",
    );
  });

  it("reads the workspace's clock, not UTC's", () => {
    // 2026-03-10 (winter): Paris is UTC+1, New York UTC-4 (its summer time began on 03-08).
    expect(until("2026-03-10T17:30:00Z", "Europe/Paris", night)).toBeNull(); // 18:30 in Paris
    expect(until("2026-03-10T18:30:00Z", "Europe/Paris", night)).toBe("2026-03-11T07:00:00.000Z");
    expect(until("2026-03-10T23:30:00Z", "Europe/Paris", night)).toBe("2026-03-11T07:00:00.000Z"); // 00:30 on 03-11
    expect(until("2026-03-11T02:00:00Z", "America/New_York", night)).toBe("2026-03-11T12:00:00.000Z"); // 22:00 on 03-10
  });

  it("ends at 08:00 local across a daylight-saving change in Europe/Paris", () => {
    // Spring forward on 2026-03-29 (02:00 CET -> 03:00 CEST): the night is an hour shorter.
    // 20:30 CET on 03-28 -> 08:00 CEST on 03-29 = 06:00Z (not 07:00Z, as the evening's offset would say).
    expect(until("2026-03-28T19:30:00Z", "Europe/Paris", night)).toBe("2026-03-29T06:00:00.000Z");
    expect(until("2026-03-29T01:30:00Z", "Europe/Paris", night)).toBe("2026-03-29T06:00:00.000Z"); // 03:30 CEST
    // Fall back on 2026-10-25 (03:00 CEST -> 02:00 CET): an hour longer. 20:30 CEST -> 08:00 CET = 07:00Z.
    expect(until("2026-10-24T18:30:00Z", "Europe/Paris", night)).toBe("2026-10-25T07:00:00.000Z");
    expect(until("2026-10-25T00:30:00Z", "Europe/Paris", night)).toBe("2026-10-25T07:00:00.000Z"); // 02:30 CEST
    expect(until("2026-10-25T01:30:00Z", "Europe/Paris", night)).toBe("2026-10-25T07:00:00.000Z"); // 02:30 CET
  });

  it("ends at the jump when the change skips `to`, and at the coming `to` when it repeats", () => {
    const early = { from: "01:00", to: "02:30" };
    // 02:30 does not exist on 2026-03-29 in Paris: the clock jumps from 02:00 CET to 03:00 CEST at 01:00Z.
    expect(until("2026-03-29T00:15:00Z", "Europe/Paris", early)).toBe("2026-03-29T01:00:00.000Z"); // 01:15 CET
    // 02:30 happens twice on 2026-10-25: at 00:30Z (CEST) and 01:30Z (CET).
    expect(until("2026-10-24T23:15:00Z", "Europe/Paris", early)).toBe("2026-10-25T00:30:00.000Z"); // 01:15 CEST
    expect(until("2026-10-25T01:10:00Z", "Europe/Paris", early)).toBe("2026-10-25T01:30:00.000Z"); // 02:10 CET
  });
});
