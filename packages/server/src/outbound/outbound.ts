import { lookup as dnsLookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { refusedAddress } from "./addresses";

/**
 * Every connection the server opens on a tenant's behalf (SMTP hosts, provider base URLs,
 * webhooks) goes through one `Outbound`: it resolves the host *at connect time* and refuses
 * loopback, private, link-local, metadata and reserved addresses — so a name that resolved to a
 * public address when the set-up was saved and to 127.0.0.1 since (DNS rebinding) is still
 * refused — and the caller connects to the very address that was checked. The operator lifts
 * the guard with `JOURNEYS_ALLOW_PRIVATE_NETWORK=true` (a relay on the same network, tests).
 *
 * @example
 *   const outbound = new Outbound({ allowPrivateNetwork: false });
 *   const { address } = await outbound.resolve("smtp.example.com"); // throws OutboundRefused for 10.0.0.5
 *   net.connect({ host: address, port: 587 });
 *   https.request(url, { lookup: outbound.lookup }); // the same check for HTTP clients
 */
export interface OutboundPolicy {
  allowPrivateNetwork: boolean;
  /** Resolves a host name to its addresses; DNS unless a test stands in. */
  resolveHost?: (host: string) => Promise<string[]>;
}

/** A connection the guard refused; its message is fit to show the tenant. */
export class OutboundRefused extends Error {
  constructor(
    readonly host: string,
    readonly why: string,
  ) {
    super(
      `${host} ${why}, which this server does not connect to` +
        " (the operator can allow it with JOURNEYS_ALLOW_PRIVATE_NETWORK=true)",
    );
    this.name = "OutboundRefused";
  }
}

const DNS_TIMEOUT_MS = 10_000;

export class Outbound {
  readonly allowPrivateNetwork: boolean;
  readonly #resolveHost: (host: string) => Promise<string[]>;

  constructor(policy: OutboundPolicy) {
    this.allowPrivateNetwork = policy.allowPrivateNetwork;
    this.#resolveHost = policy.resolveHost ?? resolveWithDns;
  }

  /**
   * The address to connect to for `host`, checked; throws `OutboundRefused` when any address
   * the name has is refused (a name answering with one public and one private address could
   * be steered to the private one), and the resolver's error when it does not resolve.
   */
  async resolve(host: string): Promise<{ address: string; family: 4 | 6 }> {
    const name = host
      .trim()
      .replace(/^\[(.*)\]$/, "$1")
      .replace(/\.$/, "")
      .toLowerCase();
    if (!this.allowPrivateNetwork) {
      const named = refusedName(name);
      if (named) throw new OutboundRefused(host, named);
    }
    const addresses = isIP(name) ? [name] : await this.#resolveHost(name);
    if (addresses.length === 0)
      throw Object.assign(new Error(`${host} has no address`), { code: "ENOTFOUND" });
    if (!this.allowPrivateNetwork) {
      for (const address of addresses) {
        const why = refusedAddress(address);
        if (why) throw new OutboundRefused(host, isIP(name) ? `is ${why}` : `resolves to ${why}`);
      }
    }
    const address = addresses[0]!;
    return { address, family: isIP(address) === 6 ? 6 : 4 };
  }

  /** Throws `OutboundRefused` when `host` is refused now; resolves nothing when the guard is off. */
  async check(host: string): Promise<void> {
    if (!this.allowPrivateNetwork) await this.resolve(host);
  }

  /**
   * The check as a `lookup` for `net.connect`, `http.request` and `https.request`: they connect
   * to the address it answers, so nothing can resolve the name a second time in between.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      ({ address, family }) => {
        if (options.all) callback(null, [{ address, family }]);
        else callback(null, address, family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 0),
    );
  };
}

/** Names that are the local machine or the cloud's metadata service whatever DNS says. */
function refusedName(name: string): string | null {
  if (name === "localhost" || name.endsWith(".localhost")) return "is this machine (localhost)";
  if (name === "metadata.google.internal" || name === "metadata") return "is a cloud metadata service";
  return null;
}

async function resolveWithDns(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error(`${host} did not resolve in time`), { code: "ETIMEOUT" })),
      DNS_TIMEOUT_MS,
    );
  });
  try {
    const answers = await Promise.race([dnsLookup(host, { all: true, verbatim: true }), timeout]);
    return answers.map((a) => a.address);
  } finally {
    clearTimeout(timer);
  }
}
