import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";

/**
 * Passwords as NIST SP 800-63B-4 (§3.1.1.2) asks of a password that is the only factor: at
 * least 15 characters, counted as Unicode code points after NFKC normalisation; any character,
 * no composition rules; at least 64 allowed (1,024 here); and refused when it is one of the
 * commonly used ones (the 49,000 most common passwords of zxcvbn-ts's list), a run or a
 * repetition (`aaaa…`, `abcd…`, `1234…`, `abcabc…`), or mostly the user's email or the
 * service's name. Stored as argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane).
 */
export const PASSWORD_RULES = { minLength: 15, maxLength: 1024 } as const;

const ARGON2 = { algorithm: 2 as const, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const COMMON = new Set(dictionary["passwords-common"].map((p) => p.toLowerCase()));
const SERVICE_WORDS = ["journeys", "journey"];

/** NIST asks for one Unicode normalisation before hashing, so "é" typed either way matches. */
export function normalisePassword(password: string): string {
  return password.normalize("NFKC");
}

/**
 * Why a new password is refused, or null when it may be used.
 *
 * @example passwordProblem("correct horse battery", { email: "ana@shop.example" }) // null
 * @example passwordProblem("password", { email: "ana@shop.example" }) // "a password needs at least 15 …"
 */
export function passwordProblem(password: string, context: { email: string }): string | null {
  const normal = normalisePassword(password);
  const length = [...normal].length;
  if (length < PASSWORD_RULES.minLength)
    return `a password needs at least ${PASSWORD_RULES.minLength} characters (this one has ${length})`;
  if (length > PASSWORD_RULES.maxLength)
    return `a password has at most ${PASSWORD_RULES.maxLength} characters (this one has ${length})`;
  const lower = normal.toLowerCase();
  if (COMMON.has(lower)) return "this password is one of the most commonly used ones: choose another";
  const unit = repeatedUnit(lower);
  if (unit !== null) return `a password that only repeats "${unit}" is easy to guess: choose another`;
  if (isRun(lower))
    return "a password that is a run of consecutive characters is easy to guess: choose another";
  if (mostlyContext(lower, context.email))
    return "a password made mostly of your email address or the service's name is easy to guess: choose another";
  return null;
}

export async function hashPassword(password: string): Promise<string> {
  return hash(normalisePassword(password), ARGON2);
}

/**
 * Whether the password matches the stored hash. Hashes made before passwords were normalised
 * hold the text as typed, so a non-NFKC password is also tried as typed.
 */
export async function passwordMatches(passwordHash: string, password: string): Promise<boolean> {
  const normal = normalisePassword(password);
  if (await verify(passwordHash, normal)) return true;
  return normal !== password && verify(passwordHash, password);
}

let dummy: Promise<string> | null = null;

/**
 * Spends the time of one password check for an email that has no user, so the answer to a
 * sign-in takes as long whether the email exists or not.
 */
export async function spendPasswordCheck(password: string): Promise<void> {
  dummy ??= hash(randomBytes(24).toString("base64url"), ARGON2);
  await verify(await dummy, normalisePassword(password));
}

/** The shortest unit the whole text repeats (up to 4 characters), or null. */
function repeatedUnit(text: string): string | null {
  const chars = [...text];
  for (let size = 1; size <= 4 && size * 2 <= chars.length; size++) {
    if (chars.every((c, i) => c === chars[i % size])) return chars.slice(0, size).join("");
  }
  return null;
}

/** Every character one step up (or one step down) from the one before: "abcdef…", "98765…". */
function isRun(text: string): boolean {
  const codes = [...text].map((c) => c.codePointAt(0)!);
  const step = (i: number) => {
    const a = codes[i - 1]!;
    const b = codes[i]!;
    if (a === 0x39 && b === 0x30) return 1; // …9 then 0
    if (a === 0x30 && b === 0x39) return -1; // …0 then 9
    return b - a;
  };
  const first = step(1);
  if (first !== 1 && first !== -1) return false;
  for (let i = 2; i < codes.length; i++) if (step(i) !== first) return false;
  return true;
}

/** Fewer than 8 characters left once the email's words and the service's name are taken out. */
function mostlyContext(lower: string, email: string): boolean {
  const [local = "", domain = ""] = email.toLowerCase().split("@");
  const words = [
    local,
    ...local.split(/[^\p{L}\p{N}]+/u),
    ...domain.split(".").slice(0, -1),
    ...SERVICE_WORDS,
  ].filter((w) => [...w].length >= 3);
  words.sort((a, b) => b.length - a.length);
  let rest = lower;
  for (const word of words) rest = rest.split(word).join("");
  return [...rest.replace(/[^\p{L}\p{N}]/gu, "")].length < 8;
}
