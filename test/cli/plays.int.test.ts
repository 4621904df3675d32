// css-bot plays validate|set|show through run(), against a fresh PostgreSQL database: versions, the
// default playbook before any is set, and refusals naming the file, the line and the path.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storePlaybookVersion } from "../../src/db/repositories/playbooks.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { DEFAULT_PLAYBOOK, DEFAULT_PLAYBOOK_SOURCE } from "../../src/domain/plays/default-playbook.ts";
import { parsePlaybook } from "../../src/domain/plays/parse-playbook.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { tempDir } from "../support/files.ts";

/** Writes `text` to a new file named `name` in a fresh temp dir; returns its path. */
function playbookFile(name: string, text: string): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

const FIRST = `name: team
plays:
  - key: at_risk
    trigger: { band_entered: [lowest] }
    actions:
      - open_case: { owner: account_owner }
`;

const SECOND = `# the second version: a detractor play too
name: team
quiet_hours: { from: "20:00", to: "08:00" }
plays:
  - key: at_risk
    trigger: { band_entered: [at_risk] }
    actions:
      - open_case: { owner: account_owner }
  - key: detractor
    trigger: { survey_answer: { survey: nps, at_most: 6 } }
    actions:
      - dm_owner: { text: "{{account.name}} answered {{trigger}}" }
    cooldown_days: 30
`;

/** Names a band only a model with `watch` has. */
const WATCH = `name: watchful
plays:
  - key: watch
    label: Watch list
    trigger:
      band_entered: [caution, watch]
    actions: [{ digest: include }]
`;

describe("css-bot plays", () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(["plays", ...args], env);

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    env = { DATABASE_URL: db.url! };
  });
  afterAll(async () => {
    await db.close();
  });

  it("shows the default playbook before any is set", async () => {
    const show = await cli("show");
    expect(show).toMatchObject({ code: 0, stderr: "" });
    expect(show.stdout).toBe(
      `# active playbook: the default playbook (none set)\n${DEFAULT_PLAYBOOK_SOURCE}`,
    );
    expect(JSON.parse((await cli("show", "--json")).stdout)).toEqual(DEFAULT_PLAYBOOK);
  });

  it("validates a file and says what each play does", async () => {
    const file = playbookFile("team.yaml", SECOND);
    const { code, stdout } = await cli("validate", file);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        `${file}: valid (checked against the default model (none set))`,
        'playbook "team": 2 plays, quiet hours 20:00-08:00',
        "  at_risk",
        "    when:   the account enters at_risk",
        "    if:     always",
        "    then:   open a case in the alert channel (owned by the account's owner, due in 5 business days)",
        "    guards: no cooldown, no daily cap, held in quiet hours",
        "  detractor",
        "    when:   an NPS answer <= 6 arrives",
        "    if:     always",
        "    then:   DM the account's owner",
        "    guards: silent for 30 days per account after a fire, no daily cap, held in quiet hours",
        "",
      ].join("\n"),
    );
  });

  it("refuses a bad file with its line and path, a missing file, and bad YAML", async () => {
    const bad = playbookFile("bad.yaml", FIRST.replace("band_entered", "band_entred"));
    const validate = await cli("validate", bad);
    expect(validate).toMatchObject({ code: 1, stdout: "" });
    expect(validate.stderr).toBe(
      `error: ${bad}: invalid playbook\n  ${bad}:4 plays[0].trigger: unknown trigger "band_entred": a trigger is ` +
        "one of band_entered, band_left, score_drop, component, no_data, renewal, survey_answer, connector_failed\n",
    );
    expect(await cli("set", bad)).toMatchObject({ code: 1, stderr: validate.stderr });

    const missing = join(tempDir(), "none.yaml");
    expect(await cli("validate", missing)).toMatchObject({
      code: 1,
      stderr: `error: ${missing}: no such file\n`,
    });

    const yaml = playbookFile("yaml.yaml", FIRST.replace("[lowest] }", "[lowest]"));
    const broken = await cli("set", yaml);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${yaml}:5: Flow map in block collection must be sufficiently indented`);
    // Nothing was stored by the refusals.
    expect(await db.prisma.playbook.count()).toBe(0);
  });

  it("stores versions 1 and 2, shows the active one, and audits each", async () => {
    const first = playbookFile("team.yaml", FIRST);
    expect(await cli("set", first)).toMatchObject({
      code: 0,
      stdout: 'stored playbook "team" as version 1; it is now active\n',
    });
    const second = playbookFile("team.yaml", SECOND);
    expect((await cli("set", second)).stdout).toBe('stored playbook "team" as version 2; it is now active\n');

    expect((await cli("show")).stdout).toBe(`# active playbook: version 2\n${SECOND}`);
    expect(JSON.parse((await cli("show", "--json")).stdout)).toEqual(parsePlaybook(SECOND));

    const rows = await db.prisma.playbook.findMany({ orderBy: { version: "asc" } });
    expect(rows.map((r) => [r.version, r.name, r.source, r.createdBy])).toEqual([
      [1, "team", FIRST, "cli"],
      [2, "team", SECOND, "cli"],
    ]);
    const workspace = await db.prisma.workspace.findFirstOrThrow({ where: { id: rows[0]!.workspaceId } });
    expect(workspace.activePlaybookId).toBe(rows[1]!.id);
    const audits = await db.prisma.auditLogEntry.findMany({
      where: { action: "playbook.set" },
      orderBy: { id: "asc" },
    });
    expect(audits.map((a) => [a.actor, a.target, a.details])).toEqual([
      ["cli", "team", { version: 1, file: first }],
      ["cli", "team", { version: 2, file: second }],
    ]);
  });

  it("checks against the workspace's active model: an unknown band is refused until the model has it", async () => {
    const watch = playbookFile("watch.yaml", WATCH);
    const refused = await cli("set", watch);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: ${watch}: invalid playbook\n  ${watch}:6 plays[0].trigger.band_entered[1]: unknown band "watch": ` +
        `the model "default" has healthy, caution, at_risk (or lowest: the lowest band of the account's segment)\n`,
    );
    expect((await cli("validate", watch)).stderr).toBe(refused.stderr);
    expect((await cli("show")).stdout).toMatch(/^# active playbook: version 2\n/);

    const model = playbookFile(
      "model.yaml",
      `name: watchful
bands:
  - { key: healthy, min: 80 }
  - { key: caution, min: 70 }
  - { key: watch, min: 60 }
  - { key: at_risk, min: 0 }
components:
  - { key: usage, input: { metric: active, agg: avg, window_days: 30 }, scale: { min: 0, max: 1 }, weight: 1 }
`,
    );
    expect((await runCli(["model", "set", model], env)).code).toBe(0);
    expect((await cli("validate", watch)).stdout).toContain(
      `${watch}: valid (checked against the model "watchful", version 1)\n`,
    );
    expect((await cli("set", watch)).stdout).toBe(
      'stored playbook "watchful" as version 3; it is now active\n',
    );
  });

  it("gives concurrent stores distinct versions, per workspace", async () => {
    const other = await ensureWorkspace(db.prisma, "other");
    const stored = await Promise.all(
      [1, 2, 3, 4].map(() =>
        storePlaybookVersion(db.prisma, other.id, DEFAULT_PLAYBOOK, DEFAULT_PLAYBOOK_SOURCE, "test"),
      ),
    );
    expect(stored.map((s) => s.version).sort()).toEqual([1, 2, 3, 4]);
    expect(
      (await runCli(["--workspace", "other", "plays", "show"], env)).stdout.startsWith(
        "# active playbook: version 4\n",
      ),
    ).toBe(true);
  });
});

describe("css-bot plays without a database", () => {
  it("has --help on each subcommand", async () => {
    const help = await runCli(["plays", "--help"], {});
    expect(help.code).toBe(0);
    for (const sub of ["validate", "set", "show"]) {
      expect(help.stdout).toContain(sub);
      expect((await runCli(["plays", sub, "--help"], {})).stdout).toMatch(/^Usage: css-bot plays /);
    }
  });

  it("checks against the default model and makes no database", async () => {
    const dataDir = tempDir();
    const watch = playbookFile("watch.yaml", WATCH);
    const refused = await runCli(["plays", "validate", watch], { CSS_DATA_DIR: dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${watch}:6 plays[0].trigger.band_entered[1]: unknown band "watch"`);
    const ok = await runCli(["plays", "validate", playbookFile("team.yaml", FIRST)], {
      CSS_DATA_DIR: dataDir,
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(": valid (checked against the default model (no database configured))\n");
    expect(existsSync(join(dataDir, "pglite"))).toBe(false);
  });
});
