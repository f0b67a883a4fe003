import assert from "node:assert/strict";
import {
  escapeHtml,
  jsonForScript,
  scriptForInline,
  visibleBidi,
} from "../../lib/report/html_escape.ts";

Deno.test("a hostile comm becomes inert text", () => {
  assert.equal(escapeHtml("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
  assert.equal(escapeHtml(`a"b'c&d`), "a&quot;b&#39;c&amp;d");
});

Deno.test("JSON in a script element cannot close it, and parses back to the same value", () => {
  const value = { comm: "</script><script>alert(1)</script>", site: "a&b\u2028" };
  const text = jsonForScript(value);
  assert.ok(!text.includes("<"));
  assert.ok(!text.includes(">"));
  assert.deepEqual(JSON.parse(text), value);
});

Deno.test("inlined JS cannot contain a closing script tag", () => {
  assert.equal(scriptForInline('x = "</SCRIPT>"'), 'x = "<\\/SCRIPT>"');
});

Deno.test("bidi overrides and isolates from the trace are shown, never applied", () => {
  const all = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069";
  const shown = escapeHtml(`ab${all}cd`);
  assert.doesNotMatch(shown, /[\u202a-\u202e\u2066-\u2069]/);
  assert.equal(
    shown,
    "ab[U+202A][U+202B][U+202C][U+202D][U+202E][U+2066][U+2067][U+2068][U+2069]cd",
  );
  const json = jsonForScript({ comm: "ab\u202ecd" });
  assert.deepEqual(JSON.parse(json), { comm: "ab[U+202E]cd" });
  assert.equal(visibleBidi("plain"), "plain");
});
