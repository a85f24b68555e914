/** An HTTP server on 127.0.0.1 for the network grant tests: fixed routes, started in the test. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A running test server. */
export interface NetTestServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Requests seen, as `METHOD path`. */
  readonly seen: string[];
  close(): Promise<void>;
}

/**
 * Routes: `/hello` (text), `/json` (a JSON object), `/echo` (the method, headers and body
 * as JSON), `/big?n=` (n bytes), `/slow?ms=` (answers after ms), `/redirect?to=` (302 to
 * `to`), `/loop` (302 to itself), `/status?code=`.
 */
export function startNetServer(): Promise<NetTestServer> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push(`${req.method} ${url.pathname}`);
    res.setHeader("access-control-allow-origin", "*");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      switch (url.pathname) {
        case "/hello":
          res.setHeader("content-type", "text/plain");
          res.end("hello from the host");
          return;
        case "/json":
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify({ answer: 42, list: [1, 2, 3] }));
          return;
        case "/echo":
          res.setHeader("content-type", "application/json");
          res.end(
            JSON.stringify({
              method: req.method,
              host: req.headers.host,
              custom: req.headers["x-custom"] ?? null,
              auth: req.headers.authorization ?? null,
              body: Buffer.concat(chunks).toString("utf8"),
            }),
          );
          return;
        case "/big": {
          const n = Number(url.searchParams.get("n") ?? "0");
          // Chunked, without a content-length: the host must count as it reads.
          res.write(Buffer.alloc(Math.min(n, 1 << 20), 97));
          let left = n - Math.min(n, 1 << 20);
          const more = () => {
            while (left > 0) {
              const c = Math.min(left, 1 << 20);
              left -= c;
              if (!res.write(Buffer.alloc(c, 97))) return void res.once("drain", more);
            }
            res.end();
          };
          more();
          return;
        }
        case "/slow":
          setTimeout(() => res.end("late"), Number(url.searchParams.get("ms") ?? "0")).unref();
          return;
        case "/redirect":
          res.statusCode = 302;
          res.setHeader("location", url.searchParams.get("to") ?? "/hello");
          res.end();
          return;
        case "/loop":
          res.statusCode = 302;
          res.setHeader("location", "/loop");
          res.end();
          return;
        case "/status":
          res.statusCode = Number(url.searchParams.get("code") ?? "200");
          res.end(`status ${res.statusCode}`);
          return;
        default:
          res.statusCode = 404;
          res.end("not found");
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        origin: `http://127.0.0.1:${port}`,
        seen,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
