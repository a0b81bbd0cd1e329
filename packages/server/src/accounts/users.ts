import { JourneysError } from "../errors";
import { randomBase32 } from "../ids";
import type { Resources } from "../resources";
import { hashPassword, passwordMatches, passwordProblem, spendPasswordCheck } from "./passwords";

/** A person who signs in to the UI. Users are global; memberships tie them to businesses. */
export interface User {
  id: string;
  email: string;
  createdAt: number;
}

export type Role = "owner";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  if (!EMAIL.test(trimmed))
    throw new JourneysError("bad_request", "invalid_email", `"${email}" is not an email`);
  return trimmed;
}

/** A readable random password for generated owners (about 100 bits). */
export function generatePassword(): string {
  const raw = randomBase32(20);
  return `${raw.slice(0, 5)}-${raw.slice(5, 10)}-${raw.slice(10, 15)}-${raw.slice(15)}`;
}

export async function createUser(r: Resources, input: { email: string; password: string }): Promise<User> {
  const email = normaliseEmail(input.email);
  const weak = passwordProblem(input.password, { email });
  if (weak) throw new JourneysError("bad_request", "weak_password", weak);
  const existing = await r.store.db
    .selectFrom("users")
    .select("id")
    .where("email", "=", email)
    .executeTakeFirst();
  if (existing)
    throw new JourneysError("conflict", "email_taken", `a user with email ${email} already exists`);
  const user: User = { id: r.newId("usr"), email, createdAt: r.clock.now() };
  await r.store.db
    .insertInto("users")
    .values({
      id: user.id,
      email,
      password_hash: await hashPassword(input.password),
      created_at: user.createdAt,
    })
    .execute();
  return user;
}

/**
 * The user whose email and password match, or null — the same answer, after the same work (one
 * argon2 check), for an unknown email and a wrong password.
 */
export async function verifyCredentials(r: Resources, email: string, password: string): Promise<User | null> {
  const row = await r.store.db
    .selectFrom("users")
    .selectAll()
    .where("email", "=", email.trim().toLowerCase())
    .executeTakeFirst();
  if (!row) {
    await spendPasswordCheck(password);
    return null;
  }
  if (!(await passwordMatches(row.password_hash, password))) return null;
  return { id: row.id, email: row.email, createdAt: Number(row.created_at) };
}

export async function addMembership(
  r: Resources,
  businessId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await r.store.db
    .insertInto("memberships")
    .values({ business_id: businessId, user_id: userId, role, created_at: r.clock.now() })
    .execute();
}

/** Business ids the user may act on, with the role there. */
export async function membershipsOf(
  r: Resources,
  userId: string,
): Promise<{ businessId: string; role: Role }[]> {
  const rows = await r.store.db
    .selectFrom("memberships")
    .select(["business_id", "role"])
    .where("user_id", "=", userId)
    .orderBy("business_id")
    .execute();
  return rows.map((row) => ({ businessId: row.business_id, role: row.role as Role }));
}
