/**
 * Splits a byte stream of concatenated JSON texts (OVSDB's JSON-RPC framing:
 * none, one text after another) into whole texts.
 *
 * @example
 * ```ts
 * import { JsonStream } from "./json_stream.ts";
 * const s = new JsonStream();
 * const got = [...s.push('{"a":"}"}{"b"'), ...s.push(":[1]}")];
 * if (got.length !== 2 || got[1] !== '{"b":[1]}') throw new Error();
 * ```
 */
export class JsonStream {
  #buf = "";
  #depth = 0;
  #inString = false;
  #escape = false;
  #scanned = 0;

  /** Adds text; returns every JSON text completed by it. */
  push(text: string): string[] {
    this.#buf += text;
    const out: string[] = [];
    let start = 0;
    for (let i = this.#scanned; i < this.#buf.length; i++) {
      const ch = this.#buf[i];
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (ch === "\\") this.#escape = true;
        else if (ch === '"') this.#inString = false;
      } else if (ch === '"') {
        this.#inString = true;
      } else if (ch === "{" || ch === "[") {
        this.#depth++;
      } else if (ch === "}" || ch === "]") {
        if (--this.#depth === 0) {
          out.push(this.#buf.slice(start, i + 1).trim());
          start = i + 1;
        }
      }
    }
    this.#buf = this.#buf.slice(start);
    this.#scanned = this.#buf.length;
    return out;
  }
}
