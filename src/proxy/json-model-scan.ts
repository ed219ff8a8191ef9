// Finds the top-level "model" of a JSON request body without building the document.
//
// JSON.parse of a body only to read one field costs heap and event-loop time in
// proportion to the body's structure: 16 MB of nested arrays took 5 s and 1.2 GB. This
// is a byte-at-a-time pushdown automaton (the shape of Crockford's JSON_checker) fed
// chunk by chunk as the body arrives, so the work is spread over the reads instead of
// stalling once at the end. It keeps a few numbers: no strings, no objects, no stack
// array (container kinds are bits of two integers).
//
// It validates the whole body as JSON (what the router answered with JSON.parse before:
// a body the backend would refuse never reaches it) and applies two rules of its own:
// - nesting deeper than MAX_DEPTH levels is refused: no inference API needs it, and a
//   backend that builds the document would pay for it;
// - a top-level "model" that appears twice is refused: JSON.parse keeps the last one,
//   other parsers the first, and the router and a backend must not disagree on it.
//
// Keys are compared after unescaping (`"mod\u0065l"` is "model", as for any parser).
// The model's value is reported as byte offsets into the body; decoding it is the
// caller's, who knows how long a name can be.
//
// When the path names the deployment, a JSON body gets the same checks (a JSON object,
// valid, at most MAX_DEPTH levels) in the same single pass, but no "model" rules: the
// path wins, whatever the body says (new JsonModelScan(false)).

export const MAX_DEPTH = 64;

/** Outcomes of finish(). */
export const SCAN_OK = 0;
export const SCAN_INVALID = 1;
export const SCAN_NO_MODEL = 2;

// Automaton states.
const ROOT = 0; // before the root value
const VALUE = 1; // a value is expected
const ARRAY_FIRST = 2; // after "[": a value or "]"
const KEY_FIRST = 3; // after "{": a key or "}"
const KEY = 4; // after "," in an object: a key
const COLON = 5; // after a key
const AFTER = 6; // after a value: "," or the container's closer
const STRING = 7;
const ESCAPE = 8; // after a backslash in a string
const UNICODE = 9; // inside \uXXXX
const NUMBER = 10;
const LITERAL = 11; // true, false, null
const DONE = 12; // the root object is closed: whitespace only
const ERROR = 13;

// Number sub-states (RFC 8259 6); the terminal ones may end the number.
const N_MINUS = 0;
const N_ZERO = 1;
const N_INT = 2;
const N_DOT = 3;
const N_FRAC = 4;
const N_E = 5;
const N_ESIGN = 6;
const N_EXP = 7;

// What the string being read is.
const STR_OTHER = 0;
const STR_TOP_KEY = 1; // a key of the root object: compared with "model"
const STR_MODEL = 2; // the value of the root object's "model"

const MODEL = [0x6d, 0x6f, 0x64, 0x65, 0x6c]; // "model"
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

// Bytes that end a run of plain string content: the quote, the backslash, and control
// characters (invalid in a JSON string). One table load per byte in the hot loop.
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[0x22] = 1;
STRING_STOP[0x5c] = 1;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

function shownByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? JSON.stringify(String.fromCharCode(c)) : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

export class JsonModelScan {
  /** Byte offsets of the model's value (between its quotes), when SCAN_OK. */
  modelStart = -1;
  modelEnd = -1;
  /** The value has escapes: decode it as a JSON string, not as plain UTF-8. */
  modelEscaped = false;
  /** Why the body was refused (SCAN_INVALID) or has no usable model (SCAN_NO_MODEL). */
  message = '';

  private state = ROOT;
  private offset = 0;
  private depth = 0;
  // Container kind per level, 1 = object: levels 0-31 in low, 32-63 in high.
  private low = 0;
  private high = 0;
  private numberState = N_MINUS;
  private literal: Buffer = TRUE;
  private literalAt = 0;
  private unicodeLeft = 0;
  private unicodeValue = 0;
  private stringKind = STR_OTHER;
  private stringIsKey = false;
  // Top-level key matching: characters matched so far, -1 once it cannot be "model".
  private keyMatched = 0;
  private valueIsModel = false;
  private models = 0;
  private modelNotString = false;

  /** findModel: read the top-level "model" (an OpenAI-style body); false when the path names the deployment. */
  constructor(private readonly findModel = true) {}

  /** Scans the next chunk of the body. */
  feed(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    let state = this.state;
    while (i < n) {
      const c = chunk[i] as number;
      switch (state) {
        case STRING: {
          if (this.stringKind === STR_OTHER || this.stringKind === STR_MODEL) {
            // Plain content: skip to the next byte that means something.
            let j = i;
            while (j < n && STRING_STOP[chunk[j] as number] === 0) j++;
            if (j === n) {
              i = n;
              continue;
            }
            i = j;
            const d = chunk[i] as number;
            if (d === 0x22) state = this.endString(this.offset + i);
            else if (d === 0x5c) {
              if (this.stringKind === STR_MODEL) this.modelEscaped = true;
              state = ESCAPE;
            } else state = this.fail(d, i);
            i++;
            continue;
          }
          if (c === 0x22) state = this.endString(this.offset + i);
          else if (c === 0x5c) state = ESCAPE;
          else if (c < 0x20) state = this.fail(c, i);
          else this.matchKey(c);
          i++;
          continue;
        }
        case ESCAPE: {
          if (c === 0x75 /* u */) {
            this.unicodeLeft = 4;
            this.unicodeValue = 0;
            state = UNICODE;
          } else if (
            c === 0x22 ||
            c === 0x5c ||
            c === 0x2f ||
            c === 0x62 ||
            c === 0x66 ||
            c === 0x6e ||
            c === 0x72 ||
            c === 0x74
          ) {
            // None of these unescapes to a letter of "model".
            if (this.stringKind === STR_TOP_KEY) this.keyMatched = -1;
            state = STRING;
          } else state = this.fail(c, i);
          i++;
          continue;
        }
        case UNICODE: {
          if (!isHex(c)) {
            state = this.fail(c, i);
            i++;
            continue;
          }
          this.unicodeValue = this.unicodeValue * 16 + hexValue(c);
          if (--this.unicodeLeft === 0) {
            if (this.stringKind === STR_TOP_KEY) this.matchKey(this.unicodeValue);
            state = STRING;
          }
          i++;
          continue;
        }
        case NUMBER: {
          const next = this.numberStep(c);
          if (next >= 0) {
            this.numberState = next;
            i++;
            continue;
          }
          if (
            this.numberState === N_ZERO ||
            this.numberState === N_INT ||
            this.numberState === N_FRAC ||
            this.numberState === N_EXP
          ) {
            // The number ended; this byte belongs to what follows it.
            state = AFTER;
            continue;
          }
          state = this.fail(c, i);
          i++;
          continue;
        }
        case LITERAL: {
          if (c !== this.literal[this.literalAt]) {
            state = this.fail(c, i);
          } else if (++this.literalAt === this.literal.length) state = AFTER;
          i++;
          continue;
        }
        case ERROR:
          this.state = ERROR;
          return;
        default:
          break;
      }
      if (isWhitespace(c)) {
        i++;
        continue;
      }
      switch (state) {
        case ROOT:
          if (c === 0x7b) {
            this.push(1);
            state = KEY_FIRST;
          } else {
            this.message = `request body must be a JSON object${this.wanted()}`;
            state = ERROR;
          }
          break;
        case VALUE:
        case ARRAY_FIRST:
          if (state === ARRAY_FIRST && c === 0x5d) state = this.pop();
          else state = this.startValue(c, i);
          break;
        case KEY_FIRST:
        case KEY:
          if (c === 0x22) {
            this.stringKind = this.depth === 1 && this.findModel ? STR_TOP_KEY : STR_OTHER;
            this.stringIsKey = true;
            this.keyMatched = 0;
            state = STRING;
          } else if (state === KEY_FIRST && c === 0x7d) state = this.pop();
          else state = this.fail(c, i);
          break;
        case COLON:
          state = c === 0x3a ? VALUE : this.fail(c, i);
          break;
        case AFTER: {
          const inObject = this.topIsObject();
          if (c === 0x2c) state = inObject ? KEY : VALUE;
          else if (c === (inObject ? 0x7d : 0x5d)) state = this.pop();
          else state = this.fail(c, i);
          break;
        }
        case DONE:
          state = this.fail(c, i);
          break;
        default:
          state = this.fail(c, i);
      }
      if (state === ERROR) {
        this.state = ERROR;
        return;
      }
      i++;
    }
    this.state = state;
    this.offset += n;
  }

  /**
   * After the last chunk: SCAN_OK with the model's offsets, or why not. Without
   * findModel, SCAN_OK for any valid body (the offsets stay -1).
   */
  finish(): number {
    if (this.state === ERROR) return SCAN_INVALID;
    if (this.state !== DONE && !(this.state === AFTER && this.depth === 0)) {
      this.message = `request body is not valid JSON (it ends before the JSON does)${this.advice()}`;
      return SCAN_INVALID;
    }
    if (!this.findModel) return SCAN_OK;
    if (this.models === 0 || this.modelNotString || this.modelEnd === this.modelStart) {
      this.message =
        this.models === 0
          ? 'request body has no "model" field naming a deployment'
          : 'the "model" field of the request body must be a non-empty string naming a deployment';
      return SCAN_NO_MODEL;
    }
    return SCAN_OK;
  }

  private startValue(c: number, i: number): number {
    const isModel = this.valueIsModel;
    this.valueIsModel = false;
    if (isModel && c !== 0x22) this.modelNotString = true;
    switch (c) {
      case 0x22:
        this.stringKind = isModel ? STR_MODEL : STR_OTHER;
        this.stringIsKey = false;
        if (isModel) this.modelStart = this.offset + i + 1;
        return STRING;
      case 0x7b:
        return this.push(1) ? KEY_FIRST : ERROR;
      case 0x5b:
        return this.push(0) ? ARRAY_FIRST : ERROR;
      case 0x74:
        return this.startLiteral(TRUE);
      case 0x66:
        return this.startLiteral(FALSE);
      case 0x6e:
        return this.startLiteral(NULL);
      case 0x2d:
        this.numberState = N_MINUS;
        return NUMBER;
      default:
        if (c >= 0x30 && c <= 0x39) {
          this.numberState = c === 0x30 ? N_ZERO : N_INT;
          return NUMBER;
        }
        return this.fail(c, i);
    }
  }

  private startLiteral(literal: Buffer): number {
    this.literal = literal;
    this.literalAt = 1;
    return LITERAL;
  }

  /** The next number sub-state for byte c, or -1 when c cannot continue the number. */
  private numberStep(c: number): number {
    const digit = c >= 0x30 && c <= 0x39;
    switch (this.numberState) {
      case N_MINUS:
        return digit ? (c === 0x30 ? N_ZERO : N_INT) : -1;
      case N_ZERO:
        return c === 0x2e ? N_DOT : c === 0x65 || c === 0x45 ? N_E : -1;
      case N_INT:
        return digit ? N_INT : c === 0x2e ? N_DOT : c === 0x65 || c === 0x45 ? N_E : -1;
      case N_DOT:
        return digit ? N_FRAC : -1;
      case N_FRAC:
        return digit ? N_FRAC : c === 0x65 || c === 0x45 ? N_E : -1;
      case N_E:
        return digit ? N_EXP : c === 0x2b || c === 0x2d ? N_ESIGN : -1;
      default:
        return digit ? N_EXP : -1;
    }
  }

  private matchKey(c: number): void {
    const at = this.keyMatched;
    if (at < 0) return;
    this.keyMatched = at < MODEL.length && MODEL[at] === c ? at + 1 : -1;
  }

  /** The closing quote of a string at absolute offset `at`: what comes next. */
  private endString(at: number): number {
    const kind = this.stringKind;
    this.stringKind = STR_OTHER;
    if (this.stringIsKey) {
      if (kind === STR_TOP_KEY && this.keyMatched === MODEL.length) {
        if (++this.models > 1) {
          this.message = 'the "model" field appears more than once in the request body; send it once';
          return ERROR;
        }
        this.valueIsModel = true;
      }
      return COLON;
    }
    if (kind === STR_MODEL) this.modelEnd = at;
    return AFTER;
  }

  private push(isObject: number): boolean {
    const d = this.depth;
    if (d >= MAX_DEPTH) {
      this.message = `request body nests deeper than ${MAX_DEPTH} levels; flatten it`;
      return false;
    }
    if (d < 32) this.low = isObject ? this.low | (1 << d) : this.low & ~(1 << d);
    else this.high = isObject ? this.high | (1 << (d - 32)) : this.high & ~(1 << (d - 32));
    this.depth = d + 1;
    return true;
  }

  private topIsObject(): boolean {
    const d = this.depth - 1;
    return ((d < 32 ? this.low >>> d : this.high >>> (d - 32)) & 1) === 1;
  }

  private pop(): number {
    this.depth--;
    return this.depth === 0 ? DONE : AFTER;
  }

  private fail(c: number, i: number): number {
    this.message = `request body is not valid JSON (unexpected ${shownByte(c)} at byte ${this.offset + i})${this.advice()}`;
    return ERROR;
  }

  private wanted(): string {
    return this.findModel ? ' with a "model" field' : '';
  }

  private advice(): string {
    return `; send a JSON object${this.wanted()}`;
  }
}
