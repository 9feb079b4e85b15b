import assert from "node:assert/strict";
import { CniError } from "../errors.ts";
import { parseNetConf } from "./config.ts";

const good = {
  cniVersion: "0.2.0",
  name: "ovn",
  type: "ovn-mesos-plugin",
  logicalSwitch: "mesos-hv1",
  subnet: "172.16.1.0/24",
  gateway: "172.16.1.1",
  hostId: "hv1",
  nbRemote: "tcp:10.0.0.1:6641",
};

Deno.test("parseNetConf() reads node-init's config with defaults, tolerating unknown keys", () => {
  const c = parseNetConf(
    JSON.stringify({ ...good, capabilities: {}, runtimeConfig: {}, args: {}, "cni.dev/x": 1 }),
  );
  assert.equal(c.cniVersion, "0.2.0");
  assert.equal(c.mtu, 1400);
  assert.equal(c.bindTimeoutSeconds, 30);
  assert.equal(c.txChecksumOffload, true);
  assert.deepEqual(c.nb, { remote: "tcp:10.0.0.1:6641" });
  assert.equal(c.ovsDb, "unix:/var/run/openvswitch/db.sock");
  assert.equal(c.dbTimeoutSeconds, 10);
});

Deno.test("parseNetConf() takes local paths from the environment when the file has none", () => {
  const c = parseNetConf(JSON.stringify(good), true, { OVS_RUNDIR: "/x", OVN_RUNDIR: "/y" });
  assert.equal(c.ovsDb, "unix:/x/db.sock");
  assert.equal(c.ovnRundir, "/y");
});

Deno.test("parseNetConf() needs the PKI files for an ssl: remote", () => {
  const ssl = {
    ...good,
    nbRemote: "ssl:10.0.0.1:6641",
    nbPrivateKey: "/k",
    nbCertificate: "/c",
    nbCaCert: "/ca",
  };
  assert.deepEqual(parseNetConf(JSON.stringify(ssl)).nb, {
    remote: "ssl:10.0.0.1:6641",
    ssl: { privateKey: "/k", certificate: "/c", caCert: "/ca" },
  });
  assert.throws(
    () => parseNetConf(JSON.stringify({ ...ssl, nbCaCert: undefined })),
    /"nbCaCert" is missing/,
  );
});

Deno.test("parseNetConf() treats a missing cniVersion as 0.1.0 (as Mesos sends it)", () => {
  const { cniVersion: _, ...noVersion } = good;
  assert.equal(parseNetConf(JSON.stringify(noVersion)).cniVersion, "0.1.0");
});

Deno.test("parseNetConf() rejects bad configurations with the spec's codes", () => {
  const rows: [string, number, RegExp][] = [
    ["not json", 6, /not valid JSON/],
    ["42", 6, /JSON object/],
    [JSON.stringify({ ...good, cniVersion: "0.5.0" }), 1, /unsupported cniVersion "0.5.0"/],
    [JSON.stringify({ name: "ovn" }), 7, /"logicalSwitch" is missing; "subnet" is missing/],
    [JSON.stringify({ ...good, name: "a b" }), 7, /"name"/],
    [JSON.stringify({ ...good, subnet: "x" }), 7, /"subnet" is not an IPv4 CIDR/],
    [JSON.stringify({ ...good, gateway: "1.2.3" }), 7, /"gateway"/],
    [JSON.stringify({ ...good, mtu: "1400" }), 7, /"mtu" must be a positive number/],
    [JSON.stringify({ ...good, subnet: 5 }), 7, /"subnet" must be a string/],
    [JSON.stringify({ ...good, "cni.dev/valid-attachments": {} }), 7, /must be a list/],
    [
      JSON.stringify({ ...good, nbRemote: "tcp:x" }),
      7,
      /"nbRemote": "tcp:x" is not a database remote/,
    ],
  ];
  for (const [text, code, msg] of rows) {
    assert.throws(
      () => parseNetConf(text),
      (e: Error) => e instanceof CniError && e.code === code && msg.test(e.message + e.details),
      text,
    );
  }
});

Deno.test("parseNetConf() reads GC's valid attachments", () => {
  const c = parseNetConf(
    JSON.stringify({
      ...good,
      "cni.dev/valid-attachments": [{ containerID: "c1", ifname: "eth0" }],
    }),
  );
  assert.deepEqual(c.validAttachments, [{ containerId: "c1", ifname: "eth0" }]);
});

Deno.test("parseNetConf() refuses what would reach a name, a file, resolv.conf or a timer unchecked", () => {
  const rows: [Record<string, unknown> | string, number, RegExp][] = [
    ["x".repeat(1 << 21), 7, /characters long, more than 1048576/],
    [{ ...good, cniVersion: 1 }, 7, /"cniVersion" must be a string/],
    [{ ...good, hostId: 'h"x' }, 7, /"hostId" "h\\"x" has characters/],
    [{ ...good, logicalSwitch: "a b" }, 7, /"logicalSwitch" "a b"/],
    [
      { ...good, gateway: "10.0.0.1" },
      7,
      /"gateway" 10\.0\.0\.1 is not a host address of "subnet"/,
    ],
    [{ ...good, gateway: "172.16.1.255" }, 7, /not a host address/],
    [{ ...good, clusterSubnet: "x" }, 7, /"clusterSubnet" is not an IPv4 CIDR/],
    [{ ...good, mtu: 1400.5 }, 7, /"mtu" must be a whole number/],
    [{ ...good, bindTimeoutSeconds: 3601 }, 7, /"bindTimeoutSeconds" .* at most 3600/],
    [{ ...good, txChecksumOffload: "no" }, 7, /"txChecksumOffload" must be true or false/],
    [{ ...good, runDir: "run" }, 7, /"runDir" "run" must be an absolute path/],
    [{ ...good, logFile: "/x\ny" }, 7, /"logFile" "\/x\\ny" holds control characters/],
    [{ ...good, ovsDb: "tcp:x" }, 7, /"ovsDb": "tcp:x" is not a database remote/],
    [{ ...good, dns: { nameservers: ["1.1.1.1\nnameserver 6.6.6.6"] } }, 7, /"dns\.nameservers"/],
    [{ ...good, dns: { search: ["a b"] } }, 7, /"dns\.search"/],
    [{ ...good, "cni.dev/valid-attachments": [{ containerID: 1 }] }, 7, /\[0\] must be an object/],
  ];
  for (const [conf, code, msg] of rows) {
    const text = typeof conf === "string" ? conf : JSON.stringify(conf);
    assert.throws(
      () => parseNetConf(text),
      (e: Error) => e instanceof CniError && e.code === code && msg.test(e.message),
      text.slice(0, 100),
    );
  }
  const dns = { nameservers: ["10.0.0.2", "fd00::53"], search: ["mesos"], options: ["ndots:2"] };
  assert.deepEqual(parseNetConf(JSON.stringify({ ...good, dns })).dns, dns);
});
