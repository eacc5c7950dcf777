/**
 * Protocol buffers' wire format, read strictly from one buffer: every length
 * must fit inside the message that holds it, a field must arrive with its
 * declared wire type, and a problem throws a WireError naming the offset.
 */
import { ByteTable, mix } from "./byte-table.js";

export class WireError extends Error {
  override name = "WireError";
}

export const VARINT = 0;
const FIXED64 = 1;
export const LENGTH = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

export class WireReader {
  readonly buf: Buffer;
  pos: number;
  /** The low and high 32 bits of the last `varint64`. */
  lo = 0;
  hi = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
    this.pos = 0;
  }

  /** A varint's low 32 bits, unsigned (as protobufjs reads tags, lengths and bools). */
  varint32(end: number): number {
    this.varint64(end);
    return this.lo;
  }

  /** Reads a varint of up to 10 bytes into `lo` and `hi`. */
  varint64(end: number): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let pos = this.pos;
    for (let k = 0; k < 10; k++) {
      if (pos >= end) throw new WireError(`truncated varint at offset ${this.pos}`);
      const b = buf[pos++] as number;
      if (k < 4) lo |= (b & 0x7f) << (7 * k);
      else if (k === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * k - 32);
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        this.pos = pos;
        return;
      }
    }
    throw new WireError(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  /** The end of a length-delimited field that starts here (after its length), inside `end`. */
  lengthEnd(end: number): number {
    const at = this.pos;
    this.varint64(end);
    const length = this.hi === 0 ? this.lo : Number.POSITIVE_INFINITY;
    if (length > end - this.pos) {
      throw new WireError(`length ${this.hi === 0 ? length : "≥ 2^32"} at offset ${at} runs past its message`);
    }
    return this.pos + length;
  }

  /** Skips a field of an unknown number. */
  skip(wireType: number, end: number): void {
    switch (wireType) {
      case VARINT:
        this.varint64(end);
        return;
      case FIXED64:
        this.#advance(8, end);
        return;
      case LENGTH:
        this.pos = this.lengthEnd(end);
        return;
      case START_GROUP:
        for (;;) {
          const tag = this.varint32(end);
          if ((tag & 7) === END_GROUP) return;
          this.skip(tag & 7, end);
        }
      case FIXED32:
        this.#advance(4, end);
        return;
      default:
        throw new WireError(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  #advance(bytes: number, end: number): void {
    if (this.pos + bytes > end) throw new WireError(`truncated field at offset ${this.pos}`);
    this.pos += bytes;
  }
}

/** The decimal text of the last varint64 read, unsigned (protobufjs's `longs: String` of a uint64). */
export function unsignedText(r: WireReader): string {
  if (r.hi === 0) return String(r.lo);
  if (r.hi < 0x200000) return String(r.hi * 0x100000000 + r.lo);
  return ((BigInt(r.hi) << 32n) | BigInt(r.lo)).toString();
}

/** The decimal text of the last varint64 read as a signed int64 (two's complement). */
export function signedText(r: WireReader): string {
  if ((r.hi & 0x80000000) === 0) return unsignedText(r);
  return BigInt.asIntN(64, (BigInt(r.hi) << 32n) | BigInt(r.lo)).toString();
}

/** Rows of the string table: two slots each. */
const ROWS = 4096;
/** Longer strings are decoded each time, not remembered. */
const MAX_SHARED = 256;

/**
 * Strings read from bytes, one string object per distinct ASCII value while
 * it stays in a small two-way table indexed by its length and last 16
 * bytes. The same image ids, tags and digests arrive from thousands of
 * nodes: a hit costs a compare of the bytes instead of a new string, and
 * every Map or Set the string later meets already knows its hash.
 */
export class ByteStrings {
  readonly #table = new ByteTable<string>(ROWS, sameBytes);

  read(buf: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length === 0) return "";
    if (length > MAX_SHARED) return buf.toString("utf8", start, end);
    const row = this.#table.row(mix(length, buf, Math.max(start, end - 16), end));
    const known = this.#table.find(row, buf, start, end);
    if (known !== undefined) return known;
    const value = buf.toString("utf8", start, end);
    if (isAscii(value, length)) this.#table.put(row, value);
    return value;
  }
}

/** Whether the ASCII string `text` is the bytes from `start` to `end`. */
function sameBytes(text: string, buf: Buffer, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) !== buf[start + k]) return false;
  return true;
}

/** Whether `value` has `length` characters, all ASCII (so it is those bytes, one each). */
function isAscii(value: string, length: number): boolean {
  if (value.length !== length) return false;
  for (let k = 0; k < length; k++) if (value.charCodeAt(k) > 0x7f) return false;
  return true;
}
