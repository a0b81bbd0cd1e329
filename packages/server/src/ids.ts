import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/** Type prefixes of ids (DESIGN §5). Stored strings: never renamed. */
export type IdPrefix =
  | "bus"
  | "key"
  | "usr"
  | "jrn"
  | "seg"
  | "tpl"
  | "cus"
  | "frm"
  | "evt"
  | "enr"
  | "dlv"
  | "imp";

/** Produces ids; injected so tests can make them predictable. */
export type IdGenerator = (prefix: IdPrefix) => string;

/**
 * Opaque, type-prefixed ids that sort by creation time (48-bit ms time + 80 random bits,
 * like a ULID), so B-tree inserts stay at the right edge of the index.
 *
 * @example newId("bus") // "bus_01jd…"
 */
export const newId: IdGenerator = (prefix) => `${prefix}_${encodeTime(Date.now())}${randomBase32(16)}`;

function encodeTime(ms: number): string {
  let out = "";
  let rest = ms;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

// Ids are minted on the hot path (one per ingested event); asking the OS for 16 bytes each
// time costs more than the rest of the id. Draw a pool at a time.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

/** `length` characters of base32 drawn from the OS's CSPRNG. */
export function randomBase32(length: number): string {
  if (offset + length > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[pool[offset + i]! & 31];
  offset += length;
  return out;
}
