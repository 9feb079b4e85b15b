/** The local Open vSwitch database, through `ovs-vsctl`. */
import { type Command, runCtl } from "./ctl.ts";

/**
 * Runs the commands as one transaction on the local Open vSwitch; `db` names
 * its socket (`unix:/var/run/openvswitch/db.sock` style) or, when absent, the
 * tool's default (which `OVS_RUNDIR` selects).
 */
export function vsctl(
  commands: Command[],
  opts: { db?: string; timeoutSec?: number } = {},
): Promise<string[]> {
  return runCtl("ovs-vsctl", opts.db ? [`--db=${opts.db}`] : [], commands, opts.timeoutSec ?? 10);
}
