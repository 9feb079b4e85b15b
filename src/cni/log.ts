/** Log lines: stderr always, and the configured log file when there is one. */

/** Writes one timestamped line to stderr and, best effort, appends it to `file`. */
export function logLine(file: string | undefined, text: string, stderr = true): void {
  const line = `${new Date().toISOString()} ovn-mesos-plugin[${Deno.pid}] ${text}\n`;
  if (stderr) Deno.stderr.writeSync(new TextEncoder().encode(line));
  if (!file) return;
  try {
    Deno.writeTextFileSync(file, line, { append: true, create: true, mode: 0o640 });
  } catch {
    // A log file that cannot be written must not fail the container.
  }
}
