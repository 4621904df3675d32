import { describe, expect, it } from "vitest";
import { loadConfig } from "./env.ts";

describe("loadConfig's DATABASE_URL", () => {
  it("takes a postgresql:// connection string, and none (the embedded database)", () => {
    expect(loadConfig({ DATABASE_URL: "postgresql://css:p%40ss@db.internal:5432/css" }).databaseUrl).toBe(
      "postgresql://css:p%40ss@db.internal:5432/css",
    );
    expect(loadConfig({ DATABASE_URL: "postgres://127.0.0.1/test" }).databaseUrl).toBe(
      "postgres://127.0.0.1/test",
    );
    expect(loadConfig({}).databaseUrl).toBeUndefined();
  });

  it("refuses one that does not parse, naming the variable and never echoing the password", () => {
    for (const url of [
      "postgresql://css:se#cret@db.internal:5432/css",
      "postgresql://css:se/cret@db.internal/css",
      "postgresql://css:secret@db.internal:99999/css",
      "postgresql://",
    ]) {
      let message = "";
      try {
        loadConfig({ DATABASE_URL: url });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, url).toMatch(
        /^invalid environment:\n {2}DATABASE_URL: is not a parseable connection string/,
      );
      expect(message).not.toContain("secret");
      expect(message).not.toContain("cret");
    }
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(
      /DATABASE_URL: must be a postgresql:\/\//,
    );
  });
});
