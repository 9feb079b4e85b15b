import { deepEqual as assertEquals, throws } from "node:assert/strict";
import { type FlagSpec, parseFlags } from "./args.ts";
import { UsageError } from "./errors.ts";

const specs: FlagSpec[] = [
  { name: "cluster-subnet", value: "CIDR", help: "" },
  { name: "config-dir", value: "DIR", help: "" },
  { name: "json", help: "" },
];

Deno.test("parseFlags() accepts both spellings, with or without =", () => {
  const rows: [string[], Record<string, string | true>][] = [
    [["--cluster_subnet=10.0.0.0/8"], { "cluster-subnet": "10.0.0.0/8" }],
    [["--cluster-subnet=10.0.0.0/8"], { "cluster-subnet": "10.0.0.0/8" }],
    [["--cluster_subnet", "10.0.0.0/8"], { "cluster-subnet": "10.0.0.0/8" }],
    [["--config_dir", "/etc/cni", "--json"], { "config-dir": "/etc/cni", json: true }],
    [[], {}],
  ];
  for (const [argv, want] of rows) assertEquals(parseFlags(argv, specs), want, argv.join(" "));
});

Deno.test("parseFlags() names the problem with bad input", () => {
  const rows: [string[], RegExp][] = [
    [["--nope"], /unknown option "--nope"/],
    [["stray"], /unexpected argument "stray"/],
    [["--cluster_subnet"], /needs a value/],
    [["--cluster_subnet="], /needs a value/],
    [["--cluster_subnet", "--json"], /needs a value/],
    [["--json=1"], /takes no value/],
  ];
  for (const [argv, want] of rows) {
    throws(
      () => parseFlags(argv, specs),
      (e: Error) => e instanceof UsageError && want.test(e.message),
    );
  }
});

Deno.test("parseFlags() checks values by their kind", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/file`, "");
    const kinds: FlagSpec[] = [
      { name: "timeout", value: "SECONDS", help: "" },
      { name: "mtu", value: "BYTES", help: "" },
      { name: "run-dir", value: "DIR", help: "" },
      { name: "log-file", value: "FILE", help: "" },
      { name: "network-name", value: "NAME", help: "" },
      { name: "host", value: "SYSTEM-ID", help: "" },
    ];
    assertEquals(
      parseFlags(
        ["--timeout=2.5", "--mtu=1400", `--run_dir=${dir}`, "--network_name=ovn-2"],
        kinds,
      ),
      { timeout: "2.5", mtu: "1400", "run-dir": dir, "network-name": "ovn-2" },
    );
    const rows: [string, RegExp][] = [
      ["--timeout=1e300", /--timeout=1e300 must be a positive number of seconds, at most 3600/],
      ["--timeout=0", /--timeout=0 must be a positive number/],
      ["--mtu=0x400", /--mtu=0x400 must be a whole number of bytes/],
      ["--run_dir=run", /--run_dir=run must be an absolute path/],
      [`--run_dir=${dir}/file`, /is not a directory/],
      [`--log-file=${dir}`, /is a directory, not a file/],
      ["--network_name=../etc", /--network_name=\.\.\/etc may only hold/],
      ["--host=a b", /--host=a b may only hold/],
      ["--network_name=a\nb", /--network_name="a\\nb" holds control characters/],
    ];
    for (const [arg, want] of rows) {
      throws(
        () => parseFlags([arg], kinds),
        (e: Error) => e instanceof UsageError && want.test(e.message),
        arg,
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
