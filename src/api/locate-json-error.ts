// Where a JSON text stops being JSON. V8's JSON.parse gives a position for some errors only
// ("Unexpected token ']', "..." is not valid JSON" has none), so when it fails this scanner walks
// the text again to name the first offending character. Iterative (a stack, not recursion), so a
// deeply nested body cannot overflow the call stack. Pure.

export interface JsonSyntaxError {
  /** Offset in the text (UTF-16 code units, as JSON.parse counts), 0-based. */
  position: number;
  /** 1-based line and column of the position. */
  line: number;
  column: number;
  reason: string;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const HEX4 = /[0-9a-fA-F]{4}/y;

/** The first syntax error of `text`, or null when it is valid JSON. */
export function locateJsonError(text: string): JsonSyntaxError | null {
  const n = text.length;
  const stack: ("[" | "{")[] = [];
  let i = 0;
  const fail = (reason: string): JsonSyntaxError => {
    const before = text.slice(0, i);
    const line = before.split("\n").length;
    return { position: i, line, column: i - before.lastIndexOf("\n"), reason };
  };
  const unexpected = () =>
    i >= n ? fail("unexpected end of input") : fail(`unexpected character ${JSON.stringify(text[i])}`);
  const skipSpace = () => {
    while (i < n && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const string = (): JsonSyntaxError | null => {
    i++; // the opening quote
    for (;;) {
      if (i >= n) return fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20) return fail("control character in a string (escape it)");
      if (c === 0x5c) {
        i++;
        if (text[i] === "u") {
          HEX4.lastIndex = i + 1;
          if (!HEX4.test(text)) return fail("bad \\u escape in a string");
          i += 5;
        } else if (i < n && ESCAPES.has(text[i]!)) i++;
        else return fail("bad escape in a string");
      } else i++;
    }
  };
  /** A property name and its colon, after `{` or `,` in an object. */
  const key = (): JsonSyntaxError | null => {
    skipSpace();
    if (text[i] !== '"') return i >= n ? unexpected() : fail("expected a property name in double quotes");
    const bad = string();
    if (bad) return bad;
    skipSpace();
    if (text[i] !== ":") return i >= n ? unexpected() : fail("expected ':' after a property name");
    i++;
    return null;
  };

  for (;;) {
    // A value.
    skipSpace();
    const c = text[i];
    if (c === "{" || c === "[") {
      i++;
      skipSpace();
      if (text[i] === (c === "{" ? "}" : "]")) i++;
      else {
        stack.push(c);
        if (c === "{") {
          const bad = key();
          if (bad) return bad;
        }
        continue;
      }
    } else if (c === '"') {
      const bad = string();
      if (bad) return bad;
    } else if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) return fail("bad number");
      i = NUMBER.lastIndex;
    } else if (text.startsWith("true", i)) i += 4;
    else if (text.startsWith("false", i)) i += 5;
    else if (text.startsWith("null", i)) i += 4;
    else return unexpected();
    // After a value: close containers, or a comma and the next value.
    for (;;) {
      skipSpace();
      const top = stack.at(-1);
      if (top === undefined) return i < n ? fail("unexpected content after the JSON value") : null;
      if (text[i] === (top === "{" ? "}" : "]")) {
        i++;
        stack.pop();
        continue;
      }
      if (text[i] !== ",")
        return i >= n ? unexpected() : fail(`expected ',' or '${top === "{" ? "}" : "]"}'`);
      i++;
      if (top === "{") {
        const bad = key();
        if (bad) return bad;
      }
      break;
    }
  }
}
