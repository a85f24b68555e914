/**
 * Network requests of shell steps: `wget` is a shell function (defined for steps whose
 * code mentions it) over the device `/dev/sandflow-net`. Busybox on WASI has no sockets;
 * the function opens the device read-write, writes the request, and reads the reply: a
 * status line, then the body. The first read performs the request through the step's
 * NetFetch (the host's checked fetch).
 *
 * Request: `METHOD\nURL\n` then header lines `Name: value\n`, an empty line, the body.
 * Reply: `HTTP/1.1 <status> <text>\n` then the body, or `ERROR <Name>: <message>\n`.
 */
import { wasi } from "@bjorn3/browser_wasi_shim";
import type { NetFetch } from "../worker/net-client.js";
import { fdstat, Handle } from "./handle.js";

/** Path of the device. */
export const NET_DEVICE = "/dev/sandflow-net";

const enc = new TextEncoder();
const oneLine = (text: string) => text.replace(/[\r\n]+/g, " ");

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Performs the request written to the device; the reply's bytes. */
export function netReply(request: Uint8Array, net: NetFetch | undefined): Uint8Array {
  // The head is text up to the first empty line; the body is the bytes after it.
  let end = -1;
  for (let i = 0; i + 1 < request.length; i++) {
    if (request[i] === 10 && request[i + 1] === 10) {
      end = i;
      break;
    }
  }
  const head = new TextDecoder().decode(end < 0 ? request : request.subarray(0, end)).split("\n");
  const body = end < 0 ? undefined : request.subarray(end + 2);
  const [method = "GET", url = "", ...headerLines] = head;
  const headers = headerLines.flatMap((line): [string, string][] => {
    const colon = line.indexOf(":");
    return colon > 0 ? [[line.slice(0, colon).trim(), line.slice(colon + 1).trim()]] : [];
  });
  const result = net
    ? net({ url, method, headers, ...(body && body.length > 0 ? { body: body.slice() } : {}) })
    : { ok: false as const, error: { name: "NetworkDeniedError", message: "this shell has no network" } };
  if (!result.ok) return enc.encode(`ERROR ${result.error.name}: ${oneLine(result.error.message)}\n`);
  const r = result.response;
  const status = enc.encode(`HTTP/1.1 ${r.status} ${oneLine(r.statusText)}\n`);
  return concat([status, r.body]);
}

/** One open of the device: the request written to it, then its reply read from it. */
export class NetDeviceHandle extends Handle {
  private request: Uint8Array[] = [];
  private reply: Uint8Array | undefined;
  private at = 0;

  constructor(private readonly net: () => NetFetch | undefined) {
    super();
  }
  override fd_fdstat_get() {
    return { ret: 0, fdstat: fdstat(wasi.FILETYPE_CHARACTER_DEVICE) };
  }
  override fd_write(data: Uint8Array) {
    if (this.reply) return { ret: wasi.ERRNO_INVAL, nwritten: 0 };
    this.request.push(data.slice());
    return { ret: 0, nwritten: data.byteLength };
  }
  override fd_read(size: number) {
    this.reply ??= netReply(concat(this.request), this.net());
    this.request = [];
    const data = this.reply.slice(this.at, this.at + Math.min(size, 65536));
    this.at += data.byteLength;
    return { ret: 0, data };
  }
  override fd_seek() {
    return { ret: wasi.ERRNO_SPIPE, offset: 0n };
  }
}

/**
 * The `wget` function: `wget [-q] [-O FILE | -O-] [--header 'Name: value'] [--post-data DATA] URL`,
 * with busybox wget's messages and exit status (1 on any failure).
 */
export const WGET_FUNCTION = `wget() {
local q= o= u= h= d= m=GET s p
while [ $# -gt 0 ]; do case $1 in
-q|--quiet) q=1;;
-O) o=$2; shift;;
-O*) o=\${1#-O};;
--output-document=*) o=\${1#*=};;
--header) h="$h$2
"; shift;;
--header=*) h="$h\${1#*=}
";;
--post-data) d=$2; m=POST; shift;;
--post-data=*) d=\${1#*=}; m=POST;;
-*) echo "wget: unsupported option $1 (sandflow's wget takes -q, -O FILE, -O-, --header, --post-data)" >&2; return 1;;
*) u=$1;;
esac; shift; done
[ -n "$u" ] || { echo "wget: missing URL" >&2; return 1; }
p=\${u#*://}; p=\${p%%/*}
if [ -z "$o" ]; then o=\${u#*://}; case $o in */*) o=\${o##*/}; o=\${o%%[?#]*};; *) o=;; esac; [ -n "$o" ] || o=index.html; fi
[ -n "$q" ] || echo "Connecting to $p ($p)" >&2
exec 9<>${NET_DEVICE}
printf '%s\\n%s\\n%s\\n%s' "$m" "$u" "$h" "$d" >&9
IFS= read -r s <&9
case $s in
"HTTP/1.1 2"*) ;;
"ERROR "*) exec 9<&-; echo "wget: \${s#ERROR }" >&2; return 1;;
*) exec 9<&-; echo "wget: server returned error: $s" >&2; return 1;;
esac
if [ "$o" = - ]; then [ -n "$q" ] || echo "writing to stdout" >&2; cat <&9; else [ -n "$q" ] || echo "saving to '$o'" >&2; cat <&9 >"$o" || { exec 9<&-; return 1; }; fi
exec 9<&-
if [ -z "$q" ]; then if [ "$o" = - ]; then echo "written to stdout" >&2; else echo "'$o' saved" >&2; fi; fi
}`;
