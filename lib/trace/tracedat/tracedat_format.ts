/**
 * Parsers for the text metadata a trace.dat carries: the tracefs event `format` files, the
 * `header_page` and `header_event` descriptions, and the pieces of an event's `print fmt` a
 * binary reader needs to print values the way the kernel does (`__print_symbolic` tables,
 * constant arguments such as `pageblock_order`). Field offsets, sizes and signedness always come
 * from these files, never from assumptions about a kernel version.
 *
 * @module
 */

/** How a field's bytes are laid out in the record. */
export const FieldLoc = {
  /** The value itself (scalar or fixed array) at `offset`. */
  INLINE: 0,
  /** `__data_loc`: a u32 at `offset`, low 16 bits = offset in the record, high 16 = length. */
  DATA_LOC: 1,
  /** `__rel_loc`: like DATA_LOC, but the offset counts from the end of this u32. */
  REL_LOC: 2,
} as const;

/** One `field:` line of a format file. */
export interface FormatField {
  /** Field name (`call_site`, `pfn`, `name` …). */
  name: string;
  /** C type as written, without the name (`unsigned long`, `__data_loc char[]`). */
  type: string;
  /** Byte offset in the record (after the ring-buffer event header). */
  offset: number;
  /** Size in bytes (for DATA_LOC/REL_LOC: the size of the u32 locator). */
  size: number;
  /** True when the kernel declares the field signed. */
  signed: boolean;
  /** Layout ({@linkcode FieldLoc}). */
  loc: number;
  /** Fixed array (`char comm[16]`). */
  isArray: boolean;
}

/** A parsed event `format` file. */
export interface EventFormat {
  /** Event name (`kmalloc`). */
  name: string;
  /** Event system (`kmem`), or "" when not known. */
  system: string;
  /** Numeric event id (the record's `common_type`). */
  id: number;
  /** All fields, common ones included, in file order. */
  fields: FormatField[];
  /** The `print fmt:` text (format string and arguments), "" when absent. */
  printFmt: string;
}

const FIELD_RE = /field:\s*([^;]*?);\s*offset:\s*(\d+);\s*size:\s*(\d+);(?:\s*signed:\s*(-?\d+);)?/;

/**
 * Parses the `field:` lines of a format file (also the `header_page` file, which uses the same
 * syntax). Lines that are not fields are ignored.
 *
 * @example
 * ```ts
 * import { parseFields } from "./tracedat_format.ts";
 * const [f] = parseFields("\tfield:unsigned long pfn;\toffset:8;\tsize:8;\tsigned:0;");
 * f?.name; // "pfn"
 * f?.offset; // 8
 * ```
 */
export function parseFields(text: string): FormatField[] {
  const out: FormatField[] = [];
  for (const line of text.split("\n")) {
    const m = FIELD_RE.exec(line);
    if (!m) continue;
    const decl = m[1]!.trim();
    let loc: number = FieldLoc.INLINE;
    if (decl.startsWith("__data_loc")) loc = FieldLoc.DATA_LOC;
    else if (decl.startsWith("__rel_loc")) loc = FieldLoc.REL_LOC;
    // The name is the last identifier, before any `[N]` array suffix.
    const nm = /([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*$/.exec(decl);
    if (!nm) continue;
    const name = nm[1]!;
    const isArray = nm[2] !== undefined && loc === FieldLoc.INLINE;
    out.push({
      name,
      type: decl.slice(0, nm.index).trim(),
      offset: Number(m[2]),
      size: Number(m[3]),
      signed: m[4] === "1",
      loc,
      isArray,
    });
  }
  return out;
}

/**
 * Parses one event `format` file as tracefs prints it (`name:`, `ID:`, `format:`, `print fmt:`).
 * Returns null when the text has no name or id.
 *
 * @example
 * ```ts
 * import { parseEventFormat } from "./tracedat_format.ts";
 * const f = parseEventFormat("name: kfree\nID: 657\nformat:\n" +
 *   "\tfield:unsigned long call_site;\toffset:8;\tsize:8;\tsigned:0;\n" +
 *   'print fmt: "call_site=%pS", (void *)REC->call_site\n', "kmem");
 * f?.id; // 657
 * ```
 */
export function parseEventFormat(text: string, system = ""): EventFormat | null {
  const name = /^name:\s*(\S+)/m.exec(text)?.[1];
  const idText = /^ID:\s*(\d+)/m.exec(text)?.[1];
  if (name === undefined || idText === undefined) return null;
  const pf = text.indexOf("print fmt:");
  const printFmt = pf < 0 ? "" : text.slice(pf + "print fmt:".length).trim();
  return { name, system, id: Number(idText), fields: parseFields(text), printFmt };
}

/** The ring-buffer event header layout from the `header_event` file. */
export interface HeaderEventLayout {
  /** Bits of the type_len field (5). */
  typeLenBits: number;
  /** Bits of the time_delta field (27). */
  timeDeltaBits: number;
  /** type_len of a padding record (29). */
  padding: number;
  /** type_len of a time extend (30). */
  timeExtend: number;
  /** type_len of an absolute time stamp (31). */
  timeStamp: number;
  /** Largest type_len that encodes a data length (28). */
  dataMaxTypeLen: number;
}

/** The layout every kernel since 2.6.31 writes (kernel/trace/ring_buffer.c). */
export const DEFAULT_HEADER_EVENT: HeaderEventLayout = {
  typeLenBits: 5,
  timeDeltaBits: 27,
  padding: 29,
  timeExtend: 30,
  timeStamp: 31,
  dataMaxTypeLen: 28,
};

/**
 * Parses the `header_event` text (`type_len : 5 bits`, `padding : type == 29` …); values the
 * text does not mention keep their {@linkcode DEFAULT_HEADER_EVENT} value.
 *
 * @example
 * ```ts
 * import { parseHeaderEvent } from "./tracedat_format.ts";
 * parseHeaderEvent("\ttime_extend : type == 30\n").timeExtend; // 30
 * ```
 */
export function parseHeaderEvent(text: string): HeaderEventLayout {
  const num = (re: RegExp, dflt: number): number => {
    const m = re.exec(text);
    return m ? Number(m[1]) : dflt;
  };
  const d = DEFAULT_HEADER_EVENT;
  return {
    typeLenBits: num(/type_len\s*:\s*(\d+)\s*bits/, d.typeLenBits),
    timeDeltaBits: num(/time_delta\s*:\s*(\d+)\s*bits/, d.timeDeltaBits),
    padding: num(/padding\s*:\s*type\s*==\s*(\d+)/, d.padding),
    timeExtend: num(/time_extend\s*:\s*type\s*==\s*(\d+)/, d.timeExtend),
    timeStamp: num(/time_stamp\s*:\s*type\s*==\s*(\d+)/, d.timeStamp),
    dataMaxTypeLen: num(/data max type_len\s*==\s*(\d+)/, d.dataMaxTypeLen),
  };
}

/** Index of the parenthesis closing the one at `open`, or -1. Skips string literals. */
function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') i += s[i] === "\\" ? 2 : 1;
    } else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

/**
 * The `__print_symbolic(REC-><field>, {value, "name"}, …)` table of a print fmt, as a map from
 * value to name; empty when the field is not printed symbolically.
 *
 * @example
 * ```ts
 * import { printSymbolic } from "./tracedat_format.ts";
 * const m = printSymbolic('"zone=%s", __print_symbolic(REC->idx, {0, "DMA"}, {3, "Movable"})', "idx");
 * m.get(3); // "Movable"
 * ```
 */
export function printSymbolic(printFmt: string, field: string): Map<number, string> {
  const out = new Map<number, string>();
  const re = new RegExp(`__print_symbolic\\(\\s*REC->${field}\\b`);
  const m = re.exec(printFmt);
  if (!m) return out;
  const open = printFmt.indexOf("(", m.index);
  const close = closingParen(printFmt, open);
  const body = printFmt.slice(open, close < 0 ? printFmt.length : close);
  const pair = /\{\s*(-?(?:0x[0-9a-fA-F]+|\d+))[uUlL]*\s*,\s*"([^"]*)"\s*\}/g;
  for (let p = pair.exec(body); p; p = pair.exec(body)) out.set(Number(p[1]), p[2]!);
  return out;
}

/** Splits the print fmt into its format string and its top-level arguments. */
export function splitPrintFmt(printFmt: string): { format: string; args: string[] } {
  const s = printFmt.trim();
  if (!s.startsWith('"')) return { format: "", args: [] };
  let i = 1;
  while (i < s.length && s[i] !== '"') i += s[i] === "\\" ? 2 : 1;
  const format = s.slice(1, i);
  const args: string[] = [];
  let depth = 0;
  let start = -1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '"') {
      j++;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
    } else if (c === "(" || c === "{") depth++;
    else if (c === ")" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      if (start >= 0) args.push(s.slice(start, j).trim());
      start = j + 1;
    }
  }
  if (start >= 0) args.push(s.slice(start).trim());
  return { format, args };
}

/**
 * The argument expression printed for `label=` in the print fmt (`pageblock_order=%d` → its
 * argument), or null.
 *
 * @example
 * ```ts
 * import { printArgFor } from "./tracedat_format.ts";
 * printArgFor('"a=%d b=%d", REC->a, 9', "b"); // "9"
 * ```
 */
export function printArgFor(printFmt: string, label: string): string | null {
  const { format, args } = splitPrintFmt(printFmt);
  const at = format.search(new RegExp(`(^|[^\\w])${label}=%`));
  if (at < 0) return null;
  // Count conversions before the label's (`%%` prints a percent sign and takes no argument).
  const before = format.slice(0, at + format.slice(at).indexOf("%")).replace(/%%/g, "");
  const n = (before.match(/%/g) ?? []).length;
  return args[n] ?? null;
}

/** Reads a record field for a compiled expression: (record view, payload offset) → value. */
export type FieldGetter = (view: DataView, base: number) => number;
/** A compiled print-fmt expression over one record. */
export type CompiledExpr = (view: DataView, base: number) => number;

const TYPE_WORDS = new Set([
  "unsigned",
  "signed",
  "int",
  "long",
  "short",
  "char",
  "u8",
  "u16",
  "u32",
  "u64",
  "s8",
  "s16",
  "s32",
  "s64",
  "size_t",
  "bool",
  "gfp_t",
]);

type Bin = (a: number, b: number) => number;
const BINARY_OPS: Record<string, readonly [number, Bin]> = {
  "||": [1, (a, b) => (a || b ? 1 : 0)],
  "&&": [2, (a, b) => (a && b ? 1 : 0)],
  "|": [3, (a, b) => a | b],
  "^": [4, (a, b) => a ^ b],
  "&": [5, (a, b) => a & b],
  "==": [6, (a, b) => (a === b ? 1 : 0)],
  "!=": [6, (a, b) => (a !== b ? 1 : 0)],
  "<": [7, (a, b) => (a < b ? 1 : 0)],
  ">": [7, (a, b) => (a > b ? 1 : 0)],
  "<=": [7, (a, b) => (a <= b ? 1 : 0)],
  ">=": [7, (a, b) => (a >= b ? 1 : 0)],
  "<<": [8, (a, b) => a * 2 ** b],
  ">>": [8, (a, b) => Math.floor(a / 2 ** b)],
  "+": [9, (a, b) => a + b],
  "-": [9, (a, b) => a - b],
  "*": [10, (a, b) => a * b],
  "/": [10, (a, b) => (b === 0 ? 0 : Math.trunc(a / b))],
  "%": [10, (a, b) => (b === 0 ? 0 : a % b)],
};

/**
 * Compiles a C integer expression as found in print fmts (casts, `REC->field`, + - * / % << >>,
 * comparisons, bit ops, && || ?:) into a function of the record. `field` resolves `REC->name`;
 * returns null when the expression uses anything else (strings, functions, unknown fields).
 * Bitwise operators work on 32 bits, enough for the flag masks print fmts test.
 *
 * @example
 * ```ts
 * import { compileExpr } from "./tracedat_format.ts";
 * const f = compileExpr("(((unsigned int)((21 - 12))) < ((unsigned int)(10)) ? 9 : 10)", () => null);
 * f?.(new DataView(new ArrayBuffer(0)), 0); // 9
 * ```
 */
export function compileExpr(
  expr: string,
  field: (name: string) => FieldGetter | null,
): CompiledExpr | null {
  const toks = expr.match(
    /0x[0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|REC->\w+|[A-Za-z_]\w*|<<|>>|<=|>=|==|!=|&&|\|\||\S/g,
  );
  if (!toks) return null;
  let p = 0;
  const fail = (): never => {
    throw new Error("not compilable");
  };
  const unary = (): CompiledExpr => {
    const t = toks[p++];
    if (t === undefined) return fail();
    if (t === "-") {
      const a = unary();
      return (v, b) => -a(v, b);
    }
    if (t === "+") return unary();
    if (t === "!") {
      const a = unary();
      return (v, b) => (a(v, b) ? 0 : 1);
    }
    if (t === "~") {
      const a = unary();
      return (v, b) => ~a(v, b);
    }
    if (t === "(") {
      // A cast: only type words up to the closing parenthesis.
      let q = p;
      while (q < toks.length && TYPE_WORDS.has(toks[q]!)) q++;
      if (q > p && toks[q] === ")") {
        p = q + 1;
        return unary();
      }
      const e = ternary();
      if (toks[p++] !== ")") fail();
      return e;
    }
    if (t.startsWith("REC->")) return field(t.slice(5)) ?? fail();
    const num = /^(0x[0-9a-fA-F]+|\d+)[uUlL]*$/.exec(t);
    if (!num) return fail();
    const n = Number(num[1]);
    return () => n;
  };
  const binary = (minPrec: number): CompiledExpr => {
    let left = unary();
    for (;;) {
      const op = BINARY_OPS[toks[p] ?? ""];
      if (!op || op[0] < minPrec) return left;
      p++;
      const l = left;
      const r = binary(op[0] + 1);
      const fn = op[1];
      left = (v, b) => fn(l(v, b), r(v, b));
    }
  };
  const ternary = (): CompiledExpr => {
    const c = binary(1);
    if (toks[p] !== "?") return c;
    p++;
    const a = ternary();
    if (toks[p++] !== ":") fail();
    const e = ternary();
    return (v, b) => (c(v, b) ? a(v, b) : e(v, b));
  };
  try {
    const e = ternary();
    return p === toks.length ? e : null;
  } catch {
    return null;
  }
}
