/**
 * Whether the CLI colours its output, decided per stream: `FORCE_COLOR` (any value but
 * `0` or `false`) turns colour on, as in Node itself, even over `NO_COLOR`; `NO_COLOR`
 * (any non-empty value) turns it off; otherwise a stream is coloured when it is a
 * terminal whose `TERM` is not `dumb`.
 */
import pc from "picocolors";

/** The colour functions the CLI uses (picocolors' shape). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Whether output to a stream should be coloured, from the environment. */
export function colorEnabled(env: NodeJS.ProcessEnv, stream: { readonly isTTY?: boolean }): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if (env.NO_COLOR) return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

/** Colours for stdout (the summary) and for stderr (progress and step output). */
export const colors = {
  out: pc.createColors(colorEnabled(process.env, process.stdout)),
  err: pc.createColors(colorEnabled(process.env, process.stderr)),
} as const;
