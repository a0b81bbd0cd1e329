import { BlockList, isIP } from "node:net";

/**
 * The addresses this server does not connect to on a tenant's behalf (SSRF): every range that
 * is not the public internet. A tenant names SMTP hosts and provider base URLs; without this, a
 * set-up could reach the machine itself, its private network or the cloud's metadata service,
 * and read the answers back from delivery errors.
 *
 * @example refusedAddress("169.254.169.254") // → "a cloud metadata address"
 * @example refusedAddress("93.184.215.14")   // → null
 */
export type AddressKind = "loopback" | "private" | "link-local" | "metadata" | "reserved";

const METADATA = ["169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"];

const RANGES: ReadonlyArray<[AddressKind, string, number, "ipv4" | "ipv6"]> = [
  ["reserved", "0.0.0.0", 8, "ipv4"], // "this network"; 0.0.0.0 reaches the local machine
  ["private", "10.0.0.0", 8, "ipv4"],
  ["private", "100.64.0.0", 10, "ipv4"], // carrier-grade NAT
  ["loopback", "127.0.0.0", 8, "ipv4"],
  ["link-local", "169.254.0.0", 16, "ipv4"],
  ["private", "172.16.0.0", 12, "ipv4"],
  ["reserved", "192.0.0.0", 24, "ipv4"],
  ["reserved", "192.0.2.0", 24, "ipv4"],
  ["reserved", "192.88.99.0", 24, "ipv4"],
  ["private", "192.168.0.0", 16, "ipv4"],
  ["reserved", "198.18.0.0", 15, "ipv4"],
  ["reserved", "198.51.100.0", 24, "ipv4"],
  ["reserved", "203.0.113.0", 24, "ipv4"],
  ["reserved", "224.0.0.0", 4, "ipv4"], // multicast
  ["reserved", "240.0.0.0", 4, "ipv4"], // reserved, and the broadcast address
  ["reserved", "::", 128, "ipv6"],
  ["loopback", "::1", 128, "ipv6"],
  ["reserved", "100::", 64, "ipv6"],
  ["reserved", "2001:db8::", 32, "ipv6"],
  ["private", "fc00::", 7, "ipv6"], // unique local
  ["link-local", "fe80::", 10, "ipv6"],
  ["private", "fec0::", 10, "ipv6"], // site-local, deprecated but routable inside networks
  ["reserved", "ff00::", 8, "ipv6"], // multicast
];

const LISTS = new Map<AddressKind, BlockList>();
for (const [kind, network, prefix, family] of RANGES) {
  const list = LISTS.get(kind) ?? new BlockList();
  list.addSubnet(network, prefix, family);
  LISTS.set(kind, list);
}

const WORDS: Record<AddressKind, string> = {
  loopback: "a loopback address (this machine)",
  private: "a private network address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata address",
  reserved: "a reserved address",
};

/** Why the server will not connect to `address` (an IP literal), or null when it is public. */
export function refusedAddress(address: string): string | null {
  const kind = addressKind(address);
  return kind ? WORDS[kind] : null;
}

function addressKind(address: string): AddressKind | null {
  const ip = address
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/%.*$/, "")
    .toLowerCase();
  const family = isIP(ip);
  if (family === 0) return "reserved"; // not an address at all: nothing to connect to
  if (METADATA.includes(ip)) return "metadata";
  if (family === 6) {
    // IPv4 written inside IPv6 reaches that IPv4 address: ::ffff:127.0.0.1 (mapped),
    // 64:ff9b::a9fe:a9fe (NAT64), 2002:7f00:1::/48 (6to4).
    const embedded = embeddedIpv4(ip);
    if (embedded) return addressKind(embedded);
  }
  for (const [kind, list] of LISTS) {
    if (list.check(ip, family === 4 ? "ipv4" : "ipv6")) return kind;
  }
  return null;
}

function embeddedIpv4(ip: string): string | null {
  const groups = expandIpv6(ip);
  if (!groups) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zero(0, 5) && groups[5] === 0xffff) return v4(groups[6]!, groups[7]!); // ::ffff:a.b.c.d
  if (zero(0, 6) && !(groups[6] === 0 && groups[7]! <= 1)) return v4(groups[6]!, groups[7]!); // ::a.b.c.d
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return null;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail included), or null. */
export function expandIpv6(ip: string): number[] | null {
  let text = ip;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const parts = tail[1]!.split(".").map(Number);
    text = `${text.slice(0, -tail[1]!.length)}${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = rest ? rest.split(":") : [];
  const missing = 8 - left.length - right.length;
  if (rest === undefined ? missing !== 0 : missing < 0) return null;
  const groups = [...left, ...Array<string>(rest === undefined ? 0 : missing).fill("0"), ...right];
  return groups.map((g) => Number.parseInt(g || "0", 16));
}
