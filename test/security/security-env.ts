/**
 * The host side of the security tests: a canary file in a temp dir, a canary environment
 * variable in the test process, a local HTTP server and a raw TCP server that count the
 * connections they get, and a reader of the resident memory of this process and its
 * descendants (the isolated pool process included).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What an attack's code may be built from. */
export interface AttackContext {
  /** Absolute host path of the canary file. */
  readonly canaryFile: string;
  /** The folder holding the canary file (attacks try to write here). */
  readonly canaryDir: string;
  /** A host path this attack tries to create; it must never appear. */
  readonly writeTarget: string;
  /** Name of the canary environment variable set in the test process. */
  readonly envName: string;
  readonly httpUrl: string;
  readonly httpPort: number;
  readonly tcpPort: number;
}

/** The planted secrets, the servers and their counters. */
export interface SecurityEnv {
  readonly dir: string;
  readonly canaryFile: string;
  readonly fileCanary: string;
  readonly envName: string;
  readonly envCanary: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  /** Connections each server accepted since the env was made. */
  connections(): { http: number; tcp: number };
  /** The context for one attack (its own write target). */
  context(slug: string): AttackContext;
  /** Files in the canary folder other than the canary itself. */
  strayFiles(): string[];
  close(): Promise<void>;
}

function listen(server: HttpServer | TcpServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

/** Plants the canaries and starts the two counting servers. Call `close()` in afterAll. */
export async function createSecurityEnv(): Promise<SecurityEnv> {
  const dir = mkdtempSync(join(tmpdir(), "sandflow-security-"));
  const fileCanary = `sfcanary-file-${randomUUID()}`;
  const envCanary = `sfcanary-env-${randomUUID()}`;
  const envName = "SANDFLOW_SECURITY_CANARY";
  const canaryFile = join(dir, "canary.txt");
  writeFileSync(canaryFile, `${fileCanary}\n`);
  process.env[envName] = envCanary;
  const counts = { http: 0, tcp: 0 };
  const http = createHttpServer((_req, res) => res.end(`secret-from-host ${fileCanary}`));
  http.on("connection", () => counts.http++);
  const tcp = createTcpServer((socket) => {
    counts.tcp++;
    socket.end(`secret-from-host ${fileCanary}\n`);
  });
  const httpPort = await listen(http);
  const tcpPort = await listen(tcp);
  return {
    dir,
    canaryFile,
    fileCanary,
    envName,
    envCanary,
    httpPort,
    tcpPort,
    connections: () => ({ ...counts }),
    context: (slug) => ({
      canaryFile,
      canaryDir: dir,
      writeTarget: join(dir, `pwned-${slug}`),
      envName,
      httpUrl: `http://127.0.0.1:${httpPort}/`,
      httpPort,
      tcpPort,
    }),
    strayFiles: () => readdirSync(dir).filter((name) => name !== "canary.txt"),
    close: async () => {
      delete process.env[envName];
      http.closeAllConnections();
      await Promise.all([
        new Promise((resolve) => http.close(resolve)),
        new Promise((resolve) => tcp.close(resolve)),
      ]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    } catch {
      // The thread ended while we looked.
    }
  }
  return out;
}

/** Pids of the processes started by this process, recursively. */
export function descendants(pid = process.pid): number[] {
  const out: number[] = [];
  const stack = children(pid);
  while (stack.length > 0) {
    const next = stack.pop() as number;
    out.push(next);
    stack.push(...children(next));
  }
  return out;
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of this process plus every process it started. */
export function treeRss(): number {
  return [process.pid, ...descendants()].reduce((sum, pid) => sum + rssBytes(pid), 0);
}

/** Samples {@link treeRss} every 25 ms while `body` runs; returns the body's value and the peak. */
export async function withPeakRss<T>(
  body: () => Promise<T>,
): Promise<{ value: T; peak: number; before: number }> {
  const before = treeRss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss());
  }, 25);
  try {
    const value = await body();
    peak = Math.max(peak, treeRss());
    return { value, peak, before };
  } finally {
    clearInterval(timer);
  }
}
