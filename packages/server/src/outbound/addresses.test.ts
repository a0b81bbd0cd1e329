import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { refusedAddress } from "./addresses";

describe("refusedAddress", () => {
  it("refuses the machine itself, private networks, link-local, metadata and reserved ranges", () => {
    const refused: Array<[string, string]> = [
      ["127.0.0.1", "loopback"],
      ["127.255.255.254", "loopback"],
      ["::1", "loopback"],
      ["[::1]", "loopback"],
      ["0.0.0.0", "reserved"],
      ["0.1.2.3", "reserved"],
      ["::", "reserved"],
      ["10.1.2.3", "private"],
      ["172.16.0.1", "private"],
      ["172.31.255.255", "private"],
      ["192.168.1.1", "private"],
      ["100.64.0.1", "private"],
      ["fc00::1", "private"],
      ["fd12:3456::1", "private"],
      ["169.254.1.1", "link-local"],
      ["fe80::1", "link-local"],
      ["fe80::1%eth0", "link-local"],
      ["169.254.169.254", "metadata"],
      ["fd00:ec2::254", "metadata"],
      ["100.100.100.200", "metadata"],
      ["224.0.0.1", "reserved"],
      ["255.255.255.255", "reserved"],
      ["192.0.2.10", "reserved"],
      ["ff02::1", "reserved"],
      // IPv4 inside IPv6 reaches the IPv4 address.
      ["::ffff:127.0.0.1", "loopback"],
      ["::ffff:7f00:1", "loopback"],
      ["::ffff:169.254.169.254", "metadata"],
      ["64:ff9b::a9fe:a9fe", "metadata"],
      ["2002:c0a8:101::1", "private"],
      ["::10.0.0.1", "private"],
      ["not-an-address", "reserved"],
    ];
    for (const [address, kind] of refused) {
      const why = refusedAddress(address);
      assert.ok(why, `${address} should be refused`);
      assert.ok(why.includes(kind === "metadata" ? "metadata" : kind), `${address}: ${why}`);
    }
  });

  it("lets public addresses through", () => {
    for (const address of [
      "93.184.215.14",
      "8.8.8.8",
      "1.1.1.1",
      "172.32.0.1",
      "100.128.0.1",
      "2606:4700::1111",
      "::ffff:8.8.8.8",
      "2a00:1450:4001::200e",
    ]) {
      assert.equal(refusedAddress(address), null, address);
    }
  });
});
