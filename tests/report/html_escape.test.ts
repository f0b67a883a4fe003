import assert from "node:assert/strict";
import { escapeHtml, jsonForScript, scriptForInline } from "../../lib/report/html_escape.ts";

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
