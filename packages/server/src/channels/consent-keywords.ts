/**
 * The words a customer texts to change their consent, matched on the whole trimmed message in any
 * case, on SMS and WhatsApp alike: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT (and the
 * carriers' OPTOUT, REVOKE) unsubscribe; START, UNSTOP subscribe again (not YES, which answers
 * other questions too); HELP, INFO ask for help. "stop it" is not a keyword: a sentence is a
 * message, not a command.
 *
 * @example keywordOf(" Stop ") // "stop"
 */
export const STOP_WORDS = new Set([
  "STOP",
  "STOPALL",
  "UNSUBSCRIBE",
  "CANCEL",
  "END",
  "QUIT",
  "OPTOUT",
  "REVOKE",
]);
export const START_WORDS = new Set(["START", "UNSTOP"]);
export const HELP_WORDS = new Set(["HELP", "INFO"]);

/** The consent keyword a message is, or null. */
export function keywordOf(body: string): "stop" | "start" | "help" | null {
  const word = body.trim().toUpperCase();
  if (STOP_WORDS.has(word)) return "stop";
  if (START_WORDS.has(word)) return "start";
  if (HELP_WORDS.has(word)) return "help";
  return null;
}
