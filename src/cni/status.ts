/** CNI STATUS: ready only when NB, the local OVS and ovn-controller all answer. */
import { CniCode, CniError } from "../errors.ts";
import { run } from "../exec.ts";
import { nbctl } from "../ovn/nbctl.ts";
import { vsctl } from "../ovn/vsctl.ts";
import type { NetConf } from "./config.ts";

/** Throws code 50 naming every part that is not ready. */
export async function cmdStatus(conf: NetConf): Promise<void> {
  const timeoutSec = Math.min(conf.nbTimeoutSeconds, 5);
  const env: Record<string, string> = conf.ovnRundir ? { OVN_RUNDIR: conf.ovnRundir } : {};
  const checks = await Promise.allSettled([
    nbctl(conf.nb, [["get", "NB_Global", ".", "nb_cfg"]], { timeoutSec }),
    vsctl([["get", "Open_vSwitch", ".", "ovs_version"]], { db: conf.ovsDb, timeoutSec }),
    run(["ovn-appctl", "-t", "ovn-controller", "version"], { env, timeoutMs: timeoutSec * 1000 }),
  ]);
  const parts = ["OVN Northbound database", "local Open vSwitch database", "ovn-controller"];
  const down = checks.flatMap((c, i) =>
    c.status === "rejected" ? [`${parts[i]}: ${(c.reason as Error).message.split("\n")[0]}`] : []
  );
  if (down.length) {
    throw new CniError(CniCode.NotAvailable, "the OVN network is not ready", down.join("; "));
  }
}
