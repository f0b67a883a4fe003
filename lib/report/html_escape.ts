/**
 * Escaping of untrusted text (comm names, call sites, cache names all come from the trace) for
 * HTML text, attributes and inline `<script type="application/json">` blocks.
 *
 * @module
 */

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Unicode bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * Bidi controls from the trace written as visible text (`[U+202E]`): raw, they would reorder
 * the text around them on the page ("Trojan Source"), so a comm could pose as another.
 *
 * @example
 * ```ts
 * import { visibleBidi } from "./html_escape.ts";
 * visibleBidi("ab\u202ecd"); // "ab[U+202E]cd"
 * ```
 */
export function visibleBidi(text: string): string {
  return text.replace(
    BIDI_CONTROLS,
    (c) => `[U+${c.charCodeAt(0).toString(16).toUpperCase()}]`,
  );
}

/**
 * Escapes text for HTML element content and quoted attribute values; bidi controls become
 * visible ({@linkcode visibleBidi}).
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html_escape.ts";
 * escapeHtml("<img src=x onerror=alert(1)>"); // "&lt;img src=x onerror=alert(1)&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return visibleBidi(text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!));
}

/**
 * JSON for an inline `<script type="application/json">` element: `<`, `>`, `&` and the line
 * separators are written as \u escapes so no string in the data can close the element; bidi
 * controls in strings become visible text ({@linkcode visibleBidi}).
 *
 * @example
 * ```ts
 * import { jsonForScript } from "./html_escape.ts";
 * jsonForScript({ comm: "</script><b>" }); // '{"comm":"\\u003c/script\\u003e\\u003cb\\u003e"}'
 * ```
 */
export function jsonForScript(value: unknown): string {
  return visibleBidi(JSON.stringify(value))
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * JavaScript source made safe to inline in a `<script>` element (`</script` cannot end it early).
 *
 * @example
 * ```ts
 * import { scriptForInline } from "./html_escape.ts";
 * scriptForInline('var s = "</script>";'); // 'var s = "<\\/script>";'
 * ```
 */
export function scriptForInline(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1");
}
