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
