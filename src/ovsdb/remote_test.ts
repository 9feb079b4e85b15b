import assert from "node:assert/strict";
import { BadRemote, formatRemote, parseRemotes, type Remote, usesSsl } from "./remote.ts";

const parsed: { desc: string; input: string; want: Remote[] }[] = [
  {
    desc: "takes a unix socket path",
    input: "unix:/var/run/ovn/ovnnb_db.sock",
    want: [{ kind: "unix", path: "/var/run/ovn/ovnnb_db.sock" }],
  },
  {
    desc: "takes a relative unix socket path",
    input: "unix:db.sock",
    want: [{ kind: "unix", path: "db.sock" }],
  },
  {
    desc: "takes tcp:HOST:PORT with an IPv4 address",
    input: "tcp:10.0.0.1:6641",
    want: [{ kind: "tcp", host: "10.0.0.1", port: 6641 }],
  },
  {
    desc: "takes tcp:HOST:PORT with a host name",
    input: "tcp:ovn-central.example:6641",
    want: [{ kind: "tcp", host: "ovn-central.example", port: 6641 }],
  },
  {
    desc: "takes tcp:[V6]:PORT without the brackets in the host",
    input: "tcp:[fd00::1]:6641",
    want: [{ kind: "tcp", host: "fd00::1", port: 6641 }],
  },
  {
    desc: "takes ssl:HOST:PORT",
    input: "ssl:10.0.0.1:6641",
    want: [{ kind: "ssl", host: "10.0.0.1", port: 6641 }],
  },
  {
    desc: "takes ssl:[V6]:PORT",
    input: "ssl:[::1]:6641",
    want: [{ kind: "ssl", host: "::1", port: 6641 }],
  },
  {
    desc: "takes the extreme ports 1 and 65535",
    input: "tcp:h:1,tcp:h:65535",
    want: [{ kind: "tcp", host: "h", port: 1 }, { kind: "tcp", host: "h", port: 65535 }],
  },
  {
    desc: "takes a cluster list, in order, with spaces around the commas",
    input: " tcp:10.0.0.1:6641 , ssl:10.0.0.2:6641,unix:/run/nb.sock ,tcp:[::1]:6641 ",
    want: [
      { kind: "tcp", host: "10.0.0.1", port: 6641 },
      { kind: "ssl", host: "10.0.0.2", port: 6641 },
      { kind: "unix", path: "/run/nb.sock" },
      { kind: "tcp", host: "::1", port: 6641 },
    ],
  },
];

Deno.test("parseRemotes() refuses a list with an empty member (a typo, not a cluster)", () => {
  for (const input of ["tcp:a:1,,tcp:b:2", "tcp:a:1,", ",tcp:a:1"]) {
    assert.throws(
      () => parseRemotes(input),
      (e: Error) => e instanceof BadRemote && /has an empty member/.test(e.message),
      input,
    );
  }
});

for (const { desc, input, want } of parsed) {
  Deno.test(`parseRemotes() ${desc}`, () => {
    assert.deepEqual(parseRemotes(input), want);
  });
}

Deno.test("parseRemotes() refuses an empty list", () => {
  for (const input of ["", "   "]) {
    assert.throws(
      () => parseRemotes(input),
      (e: Error) => e instanceof BadRemote && /no database remote given/.test(e.message),
      JSON.stringify(input),
    );
  }
});

const bad: { desc: string; input: string; names: string }[] = [
  { desc: "a tcp remote without a port", input: "tcp:x", names: "tcp:x" },
  { desc: "a tcp remote without a host", input: "tcp::6641", names: "tcp::6641" },
  { desc: "port 0", input: "tcp:10.0.0.1:0", names: "tcp:10.0.0.1:0" },
  { desc: "port 65536", input: "tcp:10.0.0.1:65536", names: "tcp:10.0.0.1:65536" },
  { desc: "port 70000", input: "ssl:10.0.0.1:70000", names: "ssl:10.0.0.1:70000" },
  { desc: "a port of six digits", input: "tcp:h:066410", names: "tcp:h:066410" },
  { desc: "a port that is not a number", input: "tcp:h:nb", names: "tcp:h:nb" },
  { desc: "an unknown scheme", input: "udp:1.2.3.4:1", names: "udp:1.2.3.4:1" },
  { desc: "a passive remote", input: "ptcp:6641", names: "ptcp:6641" },
  { desc: "unix: without a path", input: "unix:", names: "unix:" },
  { desc: "no scheme at all", input: "10.0.0.1:6641", names: "10.0.0.1:6641" },
  { desc: "an IPv6 address without brackets", input: "tcp:::1:6641", names: "tcp:::1:6641" },
  { desc: "empty brackets", input: "tcp:[]:6641", names: "tcp:[]:6641" },
  {
    desc: "a host with a space in it",
    input: "tcp:ovn central:6641",
    names: "tcp:ovn central:6641",
  },
  { desc: "a space after the scheme", input: "tcp: 10.0.0.1:6641", names: "tcp: 10.0.0.1:6641" },
  {
    desc: "one bad member of a cluster list (naming that member)",
    input: "tcp:10.0.0.1:6641, tcp:10.0.0.2",
    names: "tcp:10.0.0.2",
  },
];

for (const { desc, input, names } of bad) {
  Deno.test(`parseRemotes() refuses ${desc}, naming it`, () => {
    assert.throws(
      () => parseRemotes(input),
      (e: Error) =>
        e instanceof BadRemote && e.name === "BadRemote" &&
        e.message.startsWith(`"${names}" is not a database remote`) &&
        e.message.includes("unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT"),
    );
  });
}

const formatted: { desc: string; input: Remote; want: string }[] = [
  {
    desc: "a unix socket",
    input: { kind: "unix", path: "/run/nb.sock" },
    want: "unix:/run/nb.sock",
  },
  {
    desc: "a tcp IPv4 remote",
    input: { kind: "tcp", host: "10.0.0.1", port: 6641 },
    want: "tcp:10.0.0.1:6641",
  },
  {
    desc: "a tcp host name",
    input: { kind: "tcp", host: "nb.example", port: 6641 },
    want: "tcp:nb.example:6641",
  },
  {
    desc: "an IPv6 host in brackets",
    input: { kind: "tcp", host: "fd00::1", port: 6641 },
    want: "tcp:[fd00::1]:6641",
  },
  {
    desc: "an ssl remote",
    input: { kind: "ssl", host: "10.0.0.1", port: 6642 },
    want: "ssl:10.0.0.1:6642",
  },
];

for (const { desc, input, want } of formatted) {
  Deno.test(`formatRemote() writes ${desc}`, () => {
    assert.equal(formatRemote(input), want);
  });
}

Deno.test("formatRemote() gives back what parseRemotes() read", () => {
  for (
    const text of [
      "unix:/run/nb.sock",
      "tcp:10.0.0.1:6641",
      "ssl:[::1]:6641",
      "tcp:[fd00:0:0:1::5]:1",
      "ssl:nb.example:65535",
    ]
  ) {
    assert.deepEqual(parseRemotes(text).map(formatRemote), [text]);
  }
});

const ssl: { input: string; want: boolean }[] = [
  { input: "ssl:10.0.0.1:6641", want: true },
  { input: "tcp:10.0.0.1:6641", want: false },
  { input: "unix:/run/nb.sock", want: false },
  { input: "tcp:10.0.0.1:6641, ssl:10.0.0.2:6641", want: true },
  { input: "tcp:10.0.0.1:6641,tcp:10.0.0.2:6641", want: false },
  { input: "unix:/run/ssl:x.sock", want: false },
  { input: "pssl:6641", want: false },
];

for (const { input, want } of ssl) {
  Deno.test(`usesSsl() is ${want} for ${JSON.stringify(input)}`, () => {
    assert.equal(usesSsl(input), want);
  });
}
