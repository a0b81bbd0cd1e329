import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hash } from "@node-rs/argon2";
import { hashPassword, PASSWORD_RULES, passwordMatches, passwordProblem } from "./passwords";

const email = "owner@alpha.test";

describe("new passwords (NIST SP 800-63B-4)", () => {
  it("needs 15 characters, counted as code points after NFKC", () => {
    assert.match(passwordProblem("fourteen-chars", { email })!, /at least 15 characters \(this one has 14\)/);
    assert.equal(passwordProblem("fifteen-chars!!", { email }), null);
    // 15 emoji are 30 UTF-16 units and 15 characters; "ﬀ" (one ligature) is "ff" after NFKC.
    assert.equal(passwordProblem("🦊".repeat(3) + "blue-horse-11", { email }), null);
    assert.match(passwordProblem("🦊".repeat(7), { email })!, /has 7\)/);
    assert.equal(
      passwordProblem("\ufb00".repeat(8), { email }),
      'a password that only repeats "f" is easy to guess: choose another',
    );
    assert.match(passwordProblem("x".repeat(PASSWORD_RULES.maxLength + 1), { email })!, /at most 1024/);
  });

  it("refuses the commonly used ones, runs, repetitions and the user's own words", () => {
    for (const common of ["1qaz2wsx3edc4rfv", "QWERTY123456789", "123456789987654321"])
      assert.match(passwordProblem(common, { email })!, /most commonly used/, common);
    for (const repeated of ["aaaaaaaaaaaaaaaa", "abcabcabcabcabcabc", "12121212121212121212"])
      assert.match(passwordProblem(repeated, { email })!, /only repeats/, repeated);
    for (const run of ["abcdefghijklmnop", "1234567890123456", "zyxwvutsrqponmlk"])
      assert.match(passwordProblem(run, { email })!, /run of consecutive/, run);
    for (const own of ["alpha-owner-2024", "Journeys-Alpha-1", "ownerowner@alpha"])
      assert.match(passwordProblem(own, { email })!, /your email address or the service/, own);
    for (const fine of ["alpha-password-1", "correct horse battery staple", "Tr0ub4dor&3-again"])
      assert.equal(passwordProblem(fine, { email }), null, fine);
  });

  it("matches a password typed in either Unicode form, and hashes made before normalising", async () => {
    const composed = "caf\u00e9-au-lait-chaud";
    const decomposed = "cafe\u0301-au-lait-chaud";
    const stored = await hashPassword(composed);
    assert.equal(await passwordMatches(stored, decomposed), true);
    assert.equal(await passwordMatches(stored, composed), true);
    assert.equal(await passwordMatches(stored, "cafe-au-lait-chaud"), false);
    const older = await hash(decomposed, { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    assert.equal(await passwordMatches(older, decomposed), true);
  });
});
