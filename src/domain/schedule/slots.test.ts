import { describe, expect, it } from "vitest";
import { formatDay } from "../dates.ts";
import { isTimeZone, localDay, slotKey } from "./slots.ts";

describe("slots", () => {
  it("keys a fire by its UTC minute, without colons", () => {
    expect(slotKey(new Date("2026-11-23T09:00:00.000Z"))).toBe("20261123T0900Z");
    expect(slotKey(new Date("2026-11-23T09:00:59.999Z"))).toBe("20261123T0900Z");
  });

  it("gives the two fires of a repeated autumn hour two slots, on the same local day", () => {
    // Europe/Paris leaves summer time on 2026-10-25: 02:00-03:00 local happens twice,
    // at 00:00Z (CEST, +02:00) and 01:00Z (CET, +01:00).
    const first = new Date("2026-10-25T00:30:00Z");
    const second = new Date("2026-10-25T01:30:00Z");
    expect(slotKey(first)).not.toBe(slotKey(second));
    expect(formatDay(localDay(first, "Europe/Paris"))).toBe("2026-10-25");
    expect(formatDay(localDay(second, "Europe/Paris"))).toBe("2026-10-25");
  });

  it("scores the local date of the fire, not the UTC one", () => {
    // 23:30Z on 2026-03-28 is already 2026-03-29 in Tokyo and still 2026-03-28 in New York.
    const at = new Date("2026-03-28T23:30:00Z");
    expect(formatDay(localDay(at, "Asia/Tokyo"))).toBe("2026-03-29");
    expect(formatDay(localDay(at, "America/New_York"))).toBe("2026-03-28");
    expect(formatDay(localDay(at, "UTC"))).toBe("2026-03-28");
    // Spring forward in Paris (2026-03-29, 02:00 -> 03:00): 00:30Z is 01:30 CET, 01:30Z is 03:30 CEST.
    expect(formatDay(localDay(new Date("2026-03-29T01:30:00Z"), "Europe/Paris"))).toBe("2026-03-29");
  });

  it("knows IANA time zones", () => {
    expect(isTimeZone("Europe/Paris")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});
