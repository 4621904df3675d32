import { describe, expect, it } from "vitest";
import { digestPattern } from "./schedules.ts";

describe("digestPattern", () => {
  it("turns a local time and ISO weekdays into a cron pattern (Sunday is 0)", () => {
    expect(digestPattern("09:00", [1, 2, 3, 4, 5])).toBe("0 9 * * 1,2,3,4,5");
    expect(digestPattern("17:45", [7, 6])).toBe("45 17 * * 0,6");
  });
});
