/** NB `Logical_Switch_Port`: host ports, container ports, and the switch side of router links. */
import {
  atoms,
  byUuid,
  eq,
  map,
  type Op,
  optional,
  type Row,
  select,
  set,
  update,
  type Value,
  waitUntil,
} from "../../ovsdb/ops.ts";
import { insertChild, type Parent } from "./_child.ts";

export const TABLE = "Logical_Switch_Port";
/** The columns the driver reads. */
export const COLUMNS = [
  "_uuid",
  "name",
  "type",
  "addresses",
  "dynamic_addresses",
  "port_security",
  "options",
  "up",
  "external_ids",
];

/** What ovn-mesos sets on a port. */
export interface PortSpec {
  name: string;
  /** "" for a VIF, "router" for a router link, "localnet". */
  type?: string;
  /** e.g. `["dynamic"]`, `["router"]`, `["unknown"]`, `["MAC IP"]`. */
  addresses: string[];
  portSecurity?: string[];
  options?: Record<string, string>;
  externalIds?: Record<string, string>;
}

/** The columns ovn-mesos manages, as the spec wants them. */
export function portRow(p: PortSpec): Row {
  return {
    type: p.type ?? "",
    addresses: set(p.addresses),
    port_security: set(p.portSecurity ?? []),
    options: map(p.options ?? {}),
    external_ids: map(p.externalIds ?? {}),
  };
}

/** Reads a port by name (names are unique in NB). */
export function selectPort(name: string, columns = COLUMNS): Op {
  return select(TABLE, [eq("name", name)], columns);
}

/** A new port on a switch. */
export function addPort(p: PortSpec, sw: Parent, uuidName: string): Op[] {
  return insertChild(TABLE, { name: p.name, ...portRow(p) }, uuidName, sw);
}

/** Sets every column ovn-mesos manages to the spec's. */
export function updatePort(id: string, p: PortSpec): Op {
  return update(TABLE, byUuid(id), portRow(p));
}

/**
 * Waits until the port exists and northd has given it an address (or
 * `timeoutMs` passes). The first wait matters: a "!=" wait on no rows at all
 * is met at once, and a server that has not seen the insert yet (another
 * connection, a relay, a follower) has no rows.
 */
export function waitForDynamicAddress(name: string, timeoutMs: number): Op[] {
  const where = [eq("name", name)];
  return [
    waitUntil(TABLE, where, ["name"], "==", [{ name }], timeoutMs),
    waitUntil(
      TABLE,
      where,
      ["dynamic_addresses"],
      "!=",
      [{ dynamic_addresses: set([]) }],
      timeoutMs,
    ),
  ];
}

/** Waits until ovn-controller has bound the port (`up`, as northd reports it). */
export function waitUp(name: string, timeoutMs: number): Op {
  return waitUntil(TABLE, [eq("name", name)], ["up"], "==", [{ up: true }], timeoutMs);
}

/** Pins the port to one MAC and address. */
export function securePort(name: string, mac: string, ip: string): Op {
  return update(TABLE, [eq("name", name)], { port_security: `${mac} ${ip}` });
}

/**
 * The MAC and address northd gave a port (`"MAC IP"`), or undefined.
 *
 * @example
 * ```ts
 * import { dynamicAddress } from "./logical_switch_port.ts";
 * const a = dynamicAddress({ dynamic_addresses: "0a:00:00:00:00:01 10.0.0.2" });
 * if (a?.ip !== "10.0.0.2" || dynamicAddress({ dynamic_addresses: ["set", []] })) throw new Error();
 * ```
 */
export function dynamicAddress(r: Row | undefined): { mac: string; ip: string } | undefined {
  const [mac, ip] = (optional(r?.dynamic_addresses as Value) ?? "").split(" ");
  return mac && ip ? { mac, ip } : undefined;
}

/**
 * A port's MAC and address: its static `"MAC IP"` address (containers), else
 * what northd allocated (host ports, `addresses=dynamic`).
 *
 * @example
 * ```ts
 * import { portAddress } from "./logical_switch_port.ts";
 * const a = portAddress({ addresses: "0a:58:0a:00:00:02 10.0.0.2", dynamic_addresses: ["set", []] });
 * if (a?.ip !== "10.0.0.2") throw new Error();
 * ```
 */
export function portAddress(r: Row | undefined): { mac: string; ip: string } | undefined {
  const [mac, ip] = String(atoms(r?.addresses as Value)[0] ?? "").split(" ");
  if (mac && ip && /^[0-9a-f:]{17}$/i.test(mac)) return { mac, ip };
  return dynamicAddress(r);
}

/** True when the port is bound (`up` is an optional boolean). */
export function isUp(r: Row | undefined): boolean {
  return atoms(r?.up as Value)[0] === true;
}
