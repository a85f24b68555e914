/**
 * What the CLI does when whoever reads its output goes away (`sandflow runs | head`): Node
 * ignores SIGPIPE, so each later write fails with EPIPE, and an unhandled stream error
 * would end the command with a stack trace (and a `sandflow run` with its run cut short).
 */

/** Error codes of a write to a stream whose reader has gone. */
const READER_GONE = new Set(["EPIPE", "ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END"]);

/**
 * Lets the command go on when the reader of `stream` goes away: what it writes after that
 * is dropped (a run still runs to its end and is recorded in the store). Any other error
 * of the stream is thrown, as before.
 */
export function dropOutputWhenReaderGoes(stream: NodeJS.WritableStream): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (!READER_GONE.has(e.code ?? "")) throw e;
  });
}
