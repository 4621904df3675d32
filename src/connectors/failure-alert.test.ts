import { describe, expect, it } from "vitest";
import { writeBackRefusedText } from "./failure-alert.ts";

describe("writeBackRefusedText", () => {
  it("says what stopped and how to turn it on again, the vendor's words shown as text", () => {
    const text = writeBackRefusedText({ name: "crm" }, "HubSpot", "refused <!channel> *now*");
    expect(text).toMatch(/^:warning: Scores are no longer written to HubSpot by the connector "crm"/);
    expect(text).toContain("`css-bot connectors write-back crm on`");
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("*now*");
  });
});
