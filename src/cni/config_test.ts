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
