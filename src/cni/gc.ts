/** CNI GC: removes this host's plugin-made attachments on this network that are no longer valid. */
import * as names from "../names.ts";
import { nbctl } from "../ovn/nbctl.ts";
import { quote } from "../ovn/ovsdb_value.ts";
import { vsctl } from "../ovn/vsctl.ts";
import { planAttachment } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import { deleteLogicalPorts, deleteVeths, unplugFromBridge } from "./port.ts";

/** Returns the logical port names it removed. */
export async function cmdGc(conf: NetConf): Promise<string[]> {
  const mine = [
    `external_ids:${quote(names.Ext.role)}=${quote("container-port")}`,
    `external_ids:${quote(names.Ext.host)}=${quote(conf.hostId)}`,
    `external_ids:${quote(names.Ext.network)}=${quote(conf.name)}`,
  ];
  const list = ["--columns=external_ids", "find"];
  const [[nbRows], [ovsRows]] = await Promise.all([
    nbctl(conf.nb, [[...list, "Logical_Switch_Port", ...mine]], {
      timeoutSec: conf.nbTimeoutSeconds,
    }),
    vsctl([[...list, "Interface", ...mine]], { db: conf.ovsDb, timeoutSec: conf.nbTimeoutSeconds }),
  ]);
  const valid = new Set((conf.validAttachments ?? []).map((a) => `${a.containerId}\n${a.ifname}`));
  const stale = new Set<string>();
  for (const ids of [...jsonMaps(nbRows), ...jsonMaps(ovsRows)]) {
    const key = `${ids[names.Ext.containerId]}\n${ids[names.Ext.ifname]}`;
    if (ids[names.Ext.containerId] && !valid.has(key)) stale.add(key);
  }
  const plans = await Promise.all(
    [...stale].map((k) => planAttachment(conf, ...(k.split("\n") as [string, string]))),
  );
  await Promise.all([
    deleteLogicalPorts(conf, plans.map((p) => p.lsp)),
    unplugFromBridge(conf, plans.map((p) => p.veth)),
    deleteVeths(plans.map((p) => p.veth)),
  ]);
  return plans.map((p) => p.lsp);
}

/** The external_ids maps of `--format=json --columns=external_ids find` output. */
function jsonMaps(text: string): Record<string, string>[] {
  const table = JSON.parse(text || '{"data":[]}') as { data: [["map", [string, string][]]][] };
  return table.data.map(([[, pairs]]) => Object.fromEntries(pairs));
}
