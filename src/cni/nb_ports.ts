/**
 * The plugin's logical switch ports in the Northbound database. Two ways to
 * reach NB behind one interface: a direct OVSDB connection (unix: and tcp:
 * remotes: one connection, server-side waits, no process), and `ovn-nbctl`
 * (ssl: remotes, whose certificates OVS tools verify their own way).
 */
import { CniCode, CniError } from "../errors.ts";
import { isTimeout } from "../exec.ts";
import { nbctl } from "../ovn/nbctl.ts";
import {
  detachByName,
  OvsdbClient,
  OvsdbError,
  ovsMap,
  selectByExternalIds,
  setValues,
} from "../ovn/ovsdb.ts";
import { externalIds, parseString } from "../ovn/ovsdb_value.ts";
import type { AttachmentPlan } from "./attachment.ts";
import type { NetConf } from "./config.ts";

/** A port's allocated addresses. */
export interface PortAddress {
  mac: string;
  ip: string;
}

/** What ADD, DEL and GC need from NB. */
export interface NbPorts {
  /**
   * Creates the port with a dynamic address (replacing a stale one of the same
   * name) and waits for northd to allocate it.
   */
  allocate(plan: AttachmentPlan): Promise<PortAddress>;
  /** Pins port security to the address once ovn-controller has bound the port (`up`). */
  secureWhenUp(plan: AttachmentPlan, addr: PortAddress): Promise<void>;
  /** Removes ports by name; absent ones are no error. */
  remove(lsps: string[]): Promise<void>;
  /** external_ids of the ports whose external_ids include all of `ids`. */
  find(ids: Record<string, string>): Promise<Record<string, string>[]>;
  close(): void;
}

const NB = "OVN_Northbound";
const LSP = "Logical_Switch_Port";

/** Connects to NB the fastest way the remote and the configuration allow. */
export async function openNb(conf: NetConf): Promise<NbPorts> {
  const ssl = conf.nb.remote.split(",").some((r) => r.trim().startsWith("ssl:"));
  if (ssl || conf.nbClient === "ovn-nbctl") return new NbctlPorts(conf);
  return new DirectNbPorts(
    conf,
    await OvsdbClient.connect(conf.nb.remote, conf.nbTimeoutSeconds * 1000),
  );
}

function noAddress(conf: NetConf, plan: AttachmentPlan, got: string): CniError {
  return new CniError(
    CniCode.OvnFailure,
    `no address left on switch ${conf.logicalSwitch}`,
    `dynamic_addresses of ${plan.lsp} is "${got}"`,
  );
}

function noAllocation(conf: NetConf, plan: AttachmentPlan): CniError {
  return new CniError(
    CniCode.TryAgainLater,
    `no address was allocated to ${plan.lsp} within ${conf.nbTimeoutSeconds} s`,
    `is ovn-northd running, and has switch ${conf.logicalSwitch} addresses left?`,
  );
}

function bindTimeout(conf: NetConf, plan: AttachmentPlan): CniError {
  return new CniError(
    CniCode.BindTimeout,
    `port ${plan.lsp} was not bound by ovn-controller within ${conf.bindTimeoutSeconds} s`,
    "is ovn-controller running on this host and connected to the Southbound database?",
  );
}

/** NB over one OVSDB connection. */
class DirectNbPorts implements NbPorts {
  #ms: number;
  constructor(readonly conf: NetConf, readonly db: OvsdbClient) {
    this.#ms = Math.ceil(conf.nbTimeoutSeconds * 1000);
  }

  async allocate(plan: AttachmentPlan): Promise<PortAddress> {
    // Both requests go out at once: the server runs them in order, so the
    // wait sees the new port. Only a stale port of the same name (an ADD that
    // never got its DEL) needs a second round: remove it, then again.
    const insert = this.#insert(plan);
    const address = this.#address(plan);
    address.catch(() => {});
    try {
      await insert;
    } catch (e) {
      if (!(e instanceof OvsdbError && e.error === "constraint violation")) throw e;
      await this.remove([plan.lsp]);
      await this.#insert(plan);
      return await this.#address(plan);
    }
    return await address;
  }

  async #insert(plan: AttachmentPlan): Promise<void> {
    const results = await this.db.transact(NB, [
      {
        op: "insert",
        table: LSP,
        "uuid-name": "lsp",
        row: { name: plan.lsp, addresses: "dynamic", external_ids: ovsMap(plan.ids) },
      },
      {
        op: "mutate",
        table: "Logical_Switch",
        where: [["name", "==", this.conf.logicalSwitch]],
        mutations: [["ports", "insert", ["named-uuid", "lsp"]]],
      },
    ], this.#ms);
    if (results[1].count !== 1) {
      throw new CniError(
        CniCode.OvnFailure,
        `logical switch ${this.conf.logicalSwitch} does not exist`,
      );
    }
  }

  async #address(plan: AttachmentPlan): Promise<PortAddress> {
    const where = [["name", "==", plan.lsp]];
    const [, selected] = await this.db.transact(NB, [
      {
        op: "wait",
        timeout: this.#ms,
        table: LSP,
        where,
        columns: ["dynamic_addresses"],
        until: "!=",
        rows: [{ dynamic_addresses: ["set", []] }],
      },
      { op: "select", table: LSP, where, columns: ["dynamic_addresses"] },
    ], this.#ms + 2000).catch((e) => {
      if (e instanceof OvsdbError && e.error === "timed out") throw noAllocation(this.conf, plan);
      throw e;
    });
    const rows = selected.rows as { dynamic_addresses: unknown }[];
    const text = String(setValues(rows[0]?.dynamic_addresses ?? ["set", []])[0] ?? "");
    const [mac, ip] = text.split(" ");
    if (!mac || !ip) throw noAddress(this.conf, plan, text);
    return { mac, ip };
  }

  async secureWhenUp(plan: AttachmentPlan, addr: PortAddress): Promise<void> {
    const where = [["name", "==", plan.lsp]];
    const ms = Math.ceil(this.conf.bindTimeoutSeconds * 1000);
    try {
      await this.db.transact(NB, [
        {
          op: "wait",
          timeout: ms,
          table: LSP,
          where,
          columns: ["up"],
          until: "==",
          rows: [{ up: true }],
        },
        { op: "update", table: LSP, where, row: { port_security: `${addr.mac} ${addr.ip}` } },
      ], ms + 2000);
    } catch (e) {
      if (e instanceof OvsdbError && e.error === "timed out") throw bindTimeout(this.conf, plan);
      throw e;
    }
  }

  remove(lsps: string[]): Promise<void> {
    const parent = { table: "Logical_Switch", column: "ports" };
    return detachByName(this.db, NB, { table: LSP, names: lsps }, parent, this.#ms);
  }

  find(ids: Record<string, string>): Promise<Record<string, string>[]> {
    return selectByExternalIds(this.db, NB, LSP, ids, this.#ms);
  }

  close(): void {
    this.db.close();
  }
}

/** NB through `ovn-nbctl`, one process per step. */
class NbctlPorts implements NbPorts {
  constructor(readonly conf: NetConf) {}

  #run(commands: string[][], timeoutSec = this.conf.nbTimeoutSeconds): Promise<string[]> {
    return nbctl(this.conf.nb, commands, { timeoutSec });
  }

  async allocate(plan: AttachmentPlan): Promise<PortAddress> {
    await this.#run([
      ["--if-exists", "lsp-del", plan.lsp],
      ["lsp-add", this.conf.logicalSwitch, plan.lsp],
      ["lsp-set-addresses", plan.lsp, "dynamic"],
      ["set", LSP, plan.lsp, ...externalIds(plan.ids)],
    ]);
    const [, out] = await this.#run([
      ["wait-until", LSP, plan.lsp, "dynamic_addresses!=[]"],
      ["get", LSP, plan.lsp, "dynamic_addresses"],
    ]);
    const [mac, ip] = (parseString(out) ?? "").split(" ");
    if (!mac || !ip) throw noAddress(this.conf, plan, out);
    return { mac, ip };
  }

  async secureWhenUp(plan: AttachmentPlan, addr: PortAddress): Promise<void> {
    try {
      // The write commits only once the port is up, so a timeout changes nothing.
      await this.#run([
        ["lsp-set-port-security", plan.lsp, `${addr.mac} ${addr.ip}`],
        ["wait-until", LSP, plan.lsp, "up=true"],
      ], this.conf.bindTimeoutSeconds);
    } catch (e) {
      throw isTimeout(e) ? bindTimeout(this.conf, plan) : e;
    }
  }

  async remove(lsps: string[]): Promise<void> {
    if (lsps.length) await this.#run(lsps.map((l) => ["--if-exists", "lsp-del", l]));
  }

  async find(ids: Record<string, string>): Promise<Record<string, string>[]> {
    const conds = Object.entries(ids).map(([k, v]) =>
      `external_ids:${JSON.stringify(k)}=${JSON.stringify(v)}`
    );
    const [out] = await this.#run([["--columns=external_ids", "find", LSP, ...conds]]);
    const table = JSON.parse(out || '{"data":[]}') as { data: [["map", [string, string][]]][] };
    return table.data.map(([[, pairs]]) => Object.fromEntries(pairs));
  }

  close(): void {}
}
