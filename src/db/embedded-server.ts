// Serves an open PGlite to the other css-bot processes on this machine over PostgreSQL's wire
// protocol (127.0.0.1, a port the system picks), so they reach it through `pg` as they would a server.
// A client proves it may read the data directory with the password the owner wrote there (in its
// owner record, readable by the directory's user only): other users of the machine get nothing.
//
// PGlite is one session, shared by every connection. So a connection gets the database for a whole
// turn: from its first message until PostgreSQL is ready for a query outside any transaction
// (ReadyForQuery "I") and nothing more from it is waiting. A turn holds PGlite's transaction lock, the
// one its query(), exec() and transaction() take: the owner's own statements (Prisma's and `sql`'s,
// in process) wait for a client's transaction to end, clients wait for the owner's, and nothing runs
// inside another's transaction. Extended-protocol messages of two clients (Parse ... Sync) never
// interleave either: they would bind each other's unnamed statement.
// @electric-sql/pglite-socket 0.2.17 does neither (its queue takes only the query lock, message by
// message), and requires PGlite 0.5.14 exactly; hence this file.
import { timingSafeEqual } from "node:crypto";
import { createServer, type AddressInfo, type Socket } from "node:net";
import type { PGlite } from "@electric-sql/pglite";

export interface EmbeddedServer {
  port: number;
  /** Connections open now. */
  connections(): number;
  /** Resolves once no connection is open, serving new ones meanwhile. */
  idle(): Promise<void>;
  /**
   * Stops accepting connections and waits up to `graceMs` for the open ones to end (other commands
   * finishing their work), then drops the rest: their transactions are rolled back.
   */
  close(graceMs: number): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const TERMINATE = 0x58; // "X"
const READY_FOR_QUERY = 0x5a; // "Z"
const PASSWORD = 0x70; // "p"
/** PostgreSQL's own limit on a startup packet; a password message is far shorter. */
const MAX_UNAUTHENTICATED = 10_000;
const IDLE = 0x49; // "I"
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

/** Serves `pglite` to clients that give `password` (cleartext: the connection never leaves the machine). */
export async function serveEmbedded(pglite: PGlite, password: string): Promise<EmbeddedServer> {
  const open = new Set<Connection>();
  const server = createServer((socket) => {
    const connection = new Connection(pglite, password, socket, () => open.delete(connection));
    open.add(connection);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    connections: () => open.size,
    async idle() {
      while (open.size > 0) await sleep(50);
    },
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + graceMs;
      while (open.size > 0 && Date.now() < deadline) await sleep(50);
      await Promise.all([...open].map((c) => c.end()));
      await closed;
    },
  };
}

/** One client connection: its messages, run in order, each inside the connection's turn. */
class Connection {
  private input: Buffer = Buffer.alloc(0);
  /** Chunks not yet joined to `input`: a large message (a shard's writes) is joined once, when whole. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** The bytes `input` must hold for the next message to be read. */
  private needed = 0;
  private readonly queue: Uint8Array[] = [];
  private started = false;
  /** The startup packet, held until the client gives the password. */
  private startup: Uint8Array | undefined;
  private running: Promise<void> | undefined;
  private endTurn: (() => void) | undefined;
  /** PostgreSQL is idle for this connection: its last reply ended with ReadyForQuery "I". */
  private idle = true;
  private ended: Promise<void> | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly password: string,
    private readonly socket: Socket,
    private readonly onEnd: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    // A client that goes away (killed, or its connection reset) ends its turn: see end().
    socket.on("error", () => void this.end());
    socket.on("close", () => void this.end());
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
    if (this.input.length + this.chunkBytes < this.needed) return;
    this.input = Buffer.concat([this.input, ...this.chunks]);
    this.chunks = [];
    this.chunkBytes = 0;
    for (;;) {
      const message = this.started ? this.typedMessage() : this.startupMessage();
      if (!message) break;
      if (message.length === 0) continue;
      if (!this.startup) this.queue.push(message);
      else if (!this.authenticate(message)) return;
    }
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** The startup packet, after answering "no" to SSL and GSS encryption; an empty array: consumed. */
  private startupMessage(): Uint8Array | undefined {
    if (!this.has(8)) return undefined;
    const length = this.input.readInt32BE(0);
    const code = this.input.readInt32BE(4);
    if (length === 8 && (code === SSL_REQUEST || code === GSS_REQUEST)) {
      this.input = this.input.subarray(8);
      this.socket.write("N");
      return new Uint8Array(0);
    }
    if (code === CANCEL_REQUEST || code !== PROTOCOL_3 || length < 8 || length > MAX_UNAUTHENTICATED) {
      // PGlite has no backend to cancel; anything else is not PostgreSQL's protocol 3.
      this.socket.destroy();
      return undefined;
    }
    if (!this.has(length)) return undefined;
    this.started = true;
    this.startup = this.take(length);
    this.socket.write(Uint8Array.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
    return new Uint8Array(0);
  }

  /**
   * The client's answer to the password request: right, and its startup packet goes to PGlite (which
   * answers AuthenticationOk and the session's parameters); else it is told so and disconnected.
   */
  private authenticate(message: Uint8Array): boolean {
    const given = Buffer.from(message.subarray(5, Math.max(5, message.length - 1)));
    const expected = Buffer.from(this.password);
    if (message[0] === PASSWORD && given.length === expected.length && timingSafeEqual(given, expected)) {
      this.queue.push(this.startup!);
      this.startup = undefined;
      return true;
    }
    this.socket.end(fatal("28P01", "password authentication failed for the embedded database"));
    return false;
  }

  private typedMessage(): Uint8Array | undefined {
    if (!this.has(5)) return undefined;
    const length = 1 + this.input.readInt32BE(1);
    if (length < 5 || (this.startup && length > MAX_UNAUTHENTICATED)) {
      // Not a message; or, before the password, more than one (nothing is buffered for strangers).
      this.socket.destroy();
      return undefined;
    }
    if (!this.has(length)) return undefined;
    return this.take(length);
  }

  /** Whether `input` holds `bytes`; if not, the next read waits for them. */
  private has(bytes: number): boolean {
    this.needed = bytes;
    return this.input.length >= bytes;
  }

  private take(length: number): Uint8Array {
    const message = Uint8Array.from(this.input.subarray(0, length));
    this.input = this.input.subarray(length);
    return message;
  }

  private async drain(): Promise<void> {
    try {
      for (let message = this.queue.shift(); message && !this.ended; message = this.queue.shift()) {
        if (message[0] === TERMINATE) {
          this.socket.end();
          break;
        }
        this.endTurn ??= await takeTurn(this.pglite);
        const reply = new ReadyScanner();
        await this.pglite.runExclusive(() =>
          this.pglite.execProtocolRawStream(message, {
            onRawData: (data) => {
              reply.feed(data);
              if (this.socket.writable) this.socket.write(Buffer.from(data));
            },
          }),
        );
        if (reply.status !== undefined) this.idle = reply.status === IDLE;
        else this.idle = false;
        if (this.idle && this.queue.length === 0) this.releaseTurn();
      }
    } catch {
      // PGlite failed outside SQL (closed under us): the client sees its connection end.
      this.socket.destroy();
    }
  }

  private releaseTurn(): void {
    const release = this.endTurn;
    this.endTurn = undefined;
    release?.();
  }

  /**
   * Ends the connection once its message in progress is done. A turn it leaves open (a transaction,
   * or a Parse ... Sync cut short) is closed first: Sync ends an extended-protocol exchange (and the
   * skipping of messages after its error), ROLLBACK a transaction; then the next one may go.
   */
  end(): Promise<void> {
    this.ended ??= (async () => {
      this.socket.destroy();
      await this.running;
      this.queue.length = 0;
      if (this.endTurn) {
        try {
          await this.pglite.runExclusive(async () => {
            if (!this.idle) await this.pglite.execProtocolRaw(SYNC);
            if (this.pglite.isInTransaction()) await this.pglite.execProtocolRaw(simpleQuery("ROLLBACK"));
          });
        } catch {
          // PGlite already closed: there is nothing left to end.
        }
        this.releaseTurn();
      }
      this.onEnd();
    })();
    return this.ended;
  }
}

/** PGlite's transaction lock, held until the returned function is called. */
function takeTurn(pglite: PGlite): Promise<() => void> {
  return new Promise((granted, refused) => {
    pglite
      ._runExclusiveTransaction(() => new Promise<void>((release) => granted(() => release())))
      .catch(refused);
  });
}

/** Follows the messages of a reply, which may arrive in pieces, for the status of its last ReadyForQuery. */
class ReadyScanner {
  status: number | undefined;
  private header: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private readyBody = false;

  feed(data: Uint8Array): void {
    let offset = 0;
    while (offset < data.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, data.length - offset);
        if (this.readyBody) this.status = data[offset];
        offset += n;
        this.remaining -= n;
        continue;
      }
      const need = 5 - this.header.length;
      this.header = Buffer.concat([this.header, data.subarray(offset, offset + need)]);
      offset += Math.min(need, data.length - offset);
      if (this.header.length < 5) return;
      this.readyBody = this.header[0] === READY_FOR_QUERY;
      this.remaining = this.header.readInt32BE(1) - 4;
      this.header = Buffer.alloc(0);
    }
  }
}

/** An ErrorResponse of severity FATAL. */
function fatal(code: string, text: string): Buffer {
  return frame(0x45 /* "E" */, `SFATAL\0VFATAL\0C${code}\0M${text}\0\0`);
}

function simpleQuery(sql: string): Uint8Array {
  return frame(0x51 /* "Q" */, `${sql}\0`);
}

/** A typed message: its type, its length, its body. */
function frame(type: number, body: string): Buffer {
  const bytes = Buffer.from(body);
  const message = Buffer.alloc(5 + bytes.length);
  message[0] = type;
  message.writeInt32BE(4 + bytes.length, 1);
  bytes.copy(message, 5);
  return message;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
