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

/**
 * Escapes text for HTML element content and quoted attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html_escape.ts";
 * escapeHtml("<img src=x onerror=alert(1)>"); // "&lt;img src=x onerror=alert(1)&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * JSON for an inline `<script type="application/json">` element: `<`, `>`, `&` and the line
 * separators are written as \u escapes so no string in the data can close the element.
 *
 * @example
 * ```ts
 * import { jsonForScript } from "./html_escape.ts";
 * jsonForScript({ comm: "</script><b>" }); // '{"comm":"\\u003c/script\\u003e\\u003cb\\u003e"}'
 * ```
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
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
