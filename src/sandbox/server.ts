// The sandbox's web page and its small JSON API, on loopback: the page (ui/), what one person sees
// (GET /sandbox/state), a stream of "something changed" (GET /sandbox/events, server-sent events),
// and what people do (POST: a command, a click, a modal submitted or closed, the Home tab opened,
// the next day). Every body is checked with zod; a bad one is a 400 naming the field.
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { readBody } from "../api/http.ts";
import type { Logger } from "../log.ts";
import type { Sandbox } from "./sandbox.ts";
import { sandboxState } from "./state.ts";
import { memberById, SANDBOX_MEMBERS } from "./team.ts";

/** The demo's day, and moving it on (recompute, digest, alerts), when the sandbox runs the demo. */
export interface SandboxClock {
  today(): string;
  nextDay(): Promise<string>;
}

export interface SandboxServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const UI_FILES: Record<string, string> = {
  "/": "index.html",
  "/ui/app.js": "app.js",
  "/ui/blocks.js": "blocks.js",
  "/ui/style.css": "style.css",
};
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};
const MAX_BODY = 256 * 1024;

const user = z.string().refine((id) => memberById(id) !== undefined, "not a member of the sandbox");
const action = z.object({
  action_id: z.string().min(1).max(255),
  block_id: z.string().max(255).default(""),
  type: z.string().min(1),
  value: z.string().max(2000).optional(),
  selected_option: z.object({ value: z.string(), text: z.unknown().optional() }).optional(),
  selected_user: z.string().optional(),
});
const bodies = {
  command: z.object({ user, channel: z.string().min(1), text: z.string().min(1).max(4000) }),
  action: z.object({
    user,
    where: z.union([
      z.object({ channel: z.string(), ts: z.string() }),
      z.object({ ephemeralId: z.string() }),
      z.object({ home: z.literal(true) }),
      z.object({ modal: z.string() }),
    ]),
    action,
  }),
  submit: z.object({
    user,
    viewId: z.string().min(1),
    values: z.record(z.string(), z.record(z.string(), z.unknown())),
  }),
  close: z.object({ user }),
  home: z.object({ user }),
};

export async function startSandboxServer(o: {
  sandbox: Sandbox;
  port: number;
  log: Logger;
  clock?: SandboxClock;
}): Promise<SandboxServer> {
  const uiDir = new URL("./ui/", import.meta.url);
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      o.log.error("sandbox request failed", { path: req.url, error: (error as Error).message });
      if (!res.headersSent) json(res, 500, { error: "the sandbox failed; see its log" });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sandbox");
    const file = UI_FILES[url.pathname];
    if (req.method === "GET" && file) {
      const text = await readFile(new URL(file, uiDir));
      res.writeHead(200, { "content-type": TYPES[file.split(".").at(-1)!]!, "cache-control": "no-store" });
      res.end(text);
      return;
    }
    if (req.method === "GET" && url.pathname === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    if (req.method === "GET" && url.pathname === "/sandbox/state") {
      const who = url.searchParams.get("user") ?? SANDBOX_MEMBERS[1]!.id;
      json(res, 200, sandboxState(o.sandbox, who, o.clock?.today() ?? null));
      return;
    }
    if (req.method === "GET" && url.pathname === "/sandbox/events") return events(req, res);
    const fileMatch = /^\/sandbox\/files\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && fileMatch) {
      const bytes = o.sandbox.fake.fileBytes(decodeURIComponent(fileMatch[1]!));
      if (!bytes) return json(res, 404, { error: "no such file" });
      // files.uploadV2 sends the bytes without a type: the name says what they are.
      const type = /\.png$/i.test(bytes.name) ? "image/png" : bytes.type;
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" });
      res.end(bytes.data);
      return;
    }
    if (req.method !== "POST") return json(res, 404, { error: "not found" });
    const route = url.pathname.replace(/^\/sandbox\//, "");
    if (route === "clock/next-day") {
      if (!o.clock) return json(res, 409, { error: "the clock moves only when the sandbox runs the demo" });
      return json(res, 200, { day: await o.clock.nextDay() });
    }
    const schema = bodies[route as keyof typeof bodies];
    if (!schema) return json(res, 404, { error: "not found" });
    const raw = await readJson(req);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      return json(res, 400, { error: `${first.path.join(".") || "body"}: ${first.message}` });
    }
    const b = parsed.data as Record<string, unknown> & { user: string };
    const s = o.sandbox;
    if (route === "command") {
      const { channel, text } = parsed.data as z.infer<typeof bodies.command>;
      await s.command(b.user, channel, text);
    } else if (route === "action") {
      const { where, action: a } = parsed.data as z.infer<typeof bodies.action>;
      await s.act(b.user, where, a);
    } else if (route === "submit") {
      const { viewId, values } = parsed.data as z.infer<typeof bodies.submit>;
      await s.submit(b.user, viewId, values);
    } else if (route === "close") s.closeModal(b.user);
    else if (route === "home") await s.openHome(b.user);
    json(res, 200, { ok: true });
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    let last = -1;
    const tick = () => {
      try {
        const version = o.sandbox.currentVersion();
        if (version !== last) {
          last = version;
          res.write(`data: ${version}\n\n`);
        }
      } catch (error) {
        o.log.error("sandbox: reading its state failed", { error: (error as Error).message });
      }
    };
    tick();
    // The bot's calls land in the fake from other connections: look a few times a second.
    const timer = setInterval(tick, 200);
    const off = o.sandbox.onChange(tick);
    req.on("close", () => {
      clearInterval(timer);
      off();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  try {
    return JSON.parse((await readBody(req, MAX_BODY)).toString("utf8"));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
