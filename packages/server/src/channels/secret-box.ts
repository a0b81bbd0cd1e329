import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The prefix of an encrypted value in a stored channel set-up. */
const PREFIX = "enc:v1:";
const IV = 12;
const TAG = 16;

export class SecretUnreadable extends Error {
  constructor(where: string) {
    super(
      `the secret ${where} cannot be decrypted: JOURNEYS_SECRET_KEY is not the key it was stored with ` +
        "(set the old key again, or enter the secret again in the channel set-up)",
    );
    this.name = "SecretUnreadable";
  }
}

/**
 * Encrypts channel secrets (passwords, API keys, tokens) at rest: AES-256-GCM under a key
 * derived (HKDF-SHA256) from JOURNEYS_SECRET_KEY, with the value's place — business, channel,
 * field — as associated data, so a ciphertext copied to another business or field does not
 * decrypt. Stored as `enc:v1:` + base64url(iv ‖ tag ‖ ciphertext).
 *
 * @example
 *   const box = new SecretBox("a-secret-of-at-least-32-characters!!");
 *   const stored = box.seal("s3cret", "bus_1/email/password");   // "enc:v1:…"
 *   box.open(stored, "bus_1/email/password");                     // "s3cret"
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(secretKey: string) {
    if (secretKey.length < 32) throw new Error("JOURNEYS_SECRET_KEY must have at least 32 characters");
    this.#key = Buffer.from(hkdfSync("sha256", secretKey, "journeys", "channel secrets v1", 32));
  }

  /** A box with a fresh random key, for tests and benchmarks that keep nothing. */
  static ephemeral(): SecretBox {
    return new SecretBox(randomBytes(32).toString("base64url"));
  }

  seal(plaintext: string, place: string): string {
    const iv = randomBytes(IV);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(place));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  }

  /** The plaintext of a sealed value; a value stored before encryption is returned as it is. */
  open(stored: string, place: string): string {
    if (!isSealed(stored)) return stored;
    const raw = Buffer.from(stored.slice(PREFIX.length), "base64url");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, IV));
      decipher.setAAD(Buffer.from(place));
      decipher.setAuthTag(raw.subarray(IV, IV + TAG));
      return Buffer.concat([decipher.update(raw.subarray(IV + TAG)), decipher.final()]).toString("utf8");
    } catch {
      throw new SecretUnreadable(place);
    }
  }
}

export const isSealed = (value: unknown): value is string =>
  typeof value === "string" && value.startsWith(PREFIX);

/**
 * The installation's secret key: JOURNEYS_SECRET_KEY when set; else (the embedded default only,
 * which config enforces) the key in `<dataDir>/secret-key`, generated with mode 0600 on the
 * first start, so `npm start` needs no set-up and a restart reads the same key.
 */
export function loadSecretKey(config: { secretKey: string | undefined; dataDir: string }): string {
  if (config.secretKey) return config.secretKey;
  const file = join(config.dataDir, "secret-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32).toString("base64url");
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return key;
}
