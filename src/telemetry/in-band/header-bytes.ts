// Reading header names and numbers straight from undici's raw header Buffers, so that
// an answer costs no string and no object unless it carries a load header.

/** A header name as bytes, lower case: what nameIs compares against. */
export function headerName(lower: string): Uint8Array {
  return Uint8Array.from(Buffer.from(lower, 'latin1'));
}

/** Case-insensitive match of a raw header name against a lower-case one. */
export function nameIs(name: Buffer, lower: Uint8Array): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = name[i] as number;
    const l = lower[i] as number;
    // Equal, or the upper-case form of a lower-case letter.
    if (c !== l && (l < 0x61 || l > 0x7a || c !== l - 0x20)) return false;
  }
  return true;
}

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x09;

// Longer than any number a load header has a reason to carry.
const MAX_NUMBER_BYTES = 32;
// Beyond this exponent every double is 0 or Infinity anyway.
const MAX_EXPONENT = 400;

/**
 * A plain non-negative decimal in buf[start, end) (digits, an optional fraction and
 * exponent, spaces around), or -1 for anything else: a sign, "NaN", "inf", "-1" (what
 * some services send for "no limit"), or a value too large to be finite.
 */
export function readNumber(buf: Uint8Array, start = 0, end = buf.length): number {
  let s = start;
  let e = end;
  while (s < e && isSpace(buf[s])) s++;
  while (e > s && isSpace(buf[e - 1])) e--;
  if (s === e || e - s > MAX_NUMBER_BYTES) return -1;
  let i = s;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  while (i < e && isDigit(buf[i])) {
    mantissa = mantissa * 10 + ((buf[i] as number) - 0x30);
    digits++;
    i++;
  }
  if (i < e && buf[i] === 0x2e) {
    i++;
    while (i < e && isDigit(buf[i])) {
      mantissa = mantissa * 10 + ((buf[i] as number) - 0x30);
      scale--;
      digits++;
      i++;
    }
  }
  if (digits === 0) return -1;
  if (i < e && ((buf[i] as number) | 0x20) === 0x65) {
    i++;
    let negative = false;
    if (buf[i] === 0x2d || buf[i] === 0x2b) {
      negative = buf[i] === 0x2d;
      i++;
    }
    let exponent = 0;
    let exponentDigits = 0;
    while (i < e && isDigit(buf[i])) {
      if (exponent < MAX_EXPONENT) exponent = exponent * 10 + ((buf[i] as number) - 0x30);
      exponentDigits++;
      i++;
    }
    if (exponentDigits === 0) return -1;
    scale += negative ? -exponent : exponent;
  }
  if (i !== e) return -1;
  // In steps, so that 10 ** scale itself never overflows while the value would not.
  let value = mantissa;
  while (scale < -300) {
    value /= 1e300;
    scale += 300;
  }
  while (scale > 300) {
    value *= 1e300;
    scale -= 300;
  }
  value = scale >= 0 ? value * 10 ** scale : value / 10 ** -scale;
  return Number.isFinite(value) ? value : -1;
}
