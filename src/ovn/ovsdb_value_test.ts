import { deepEqual as assertEquals } from "node:assert/strict";
import { externalIds, parseMap, parseSet, parseString, quote } from "./ovsdb_value.ts";

Deno.test("quote() and externalIds() make database-syntax arguments", () => {
  assertEquals(quote('a "b"'), '"a \\"b\\""');
  assertEquals(externalIds({ "ovn-mesos/role": "host-port" }), [
    'external_ids:"ovn-mesos/role"="host-port"',
  ]);
});

Deno.test("parseString() rows", () => {
  const rows: [string, string | undefined][] = [
    ['"0a:58:00:00:00:01 10.0.0.2"\n', "0a:58:00:00:00:01 10.0.0.2"],
    ["[]", undefined],
    ["", undefined],
    ["true", "true"],
    ['"a\\"b"', 'a"b'],
  ];
  for (const [text, want] of rows) assertEquals(parseString(text), want, text);
});

Deno.test("parseMap() rows", () => {
  const rows: [string, Record<string, string>][] = [
    ["{}", {}],
    ['{"ovn-mesos/role"=host-port}', { "ovn-mesos/role": "host-port" }],
    ['{a="1 2", b=c, "d,e"="f=g"}', { a: "1 2", b: "c", "d,e": "f=g" }],
    ["[]", {}],
  ];
  for (const [text, want] of rows) assertEquals(parseMap(text), want, text);
});

Deno.test("parseSet() rows", () => {
  const rows: [string, string[]][] = [
    ["[]", []],
    ['["0a:58:00:00:00:01 10.0.0.2"]', ["0a:58:00:00:00:01 10.0.0.2"]],
    ['[a, "b c"]', ["a", "b c"]],
    ["dynamic", ["dynamic"]],
  ];
  for (const [text, want] of rows) assertEquals(parseSet(text), want, text);
});
