/**
 * An encrypted Northbound for tests: certificates from `ovs-pki` (one CA, a
 * server certificate, a client certificate), and an `ovsdb-server` relay of
 * the sandbox's NB that listens with `pssl:` on the sandbox's underlay, where
 * every host reaches it. The relay forwards writes to NB and serves reads
 * from its copy, as an OVN relay does in production.
 */
import type { Sandbox } from "./sandbox.ts";
import { run, runOk } from "./run.ts";

/** The files a client needs, and the remote to give it. */
export interface SslNb {
  remote: string;
  privateKey: string;
  certificate: string;
  caCert: string;
  /** The driver flags for this remote. */
  flags: string[];
  /** Stops the relay (by its pid) and removes the address it listened on. */
  stop(): Promise<void>;
}

const ADDRESS = "198.18.0.254";

/** Makes the PKI under `<sandbox>/pki` and starts the relay. */
export async function startSslNb(sb: Sandbox, port = 6641): Promise<SslNb> {
  const dir = `${sb.dir}/ssl`;
  await Deno.mkdir(dir, { recursive: true });
  await runOk(["ovs-pki", `--dir=${dir}/pki`, "init", "--force"], { cwd: dir });
  for (const who of ["nb", "client"]) {
    await runOk(["ovs-pki", `--dir=${dir}/pki`, "-b", "req+sign", who, "switch"], { cwd: dir });
  }
  const caCert = `${dir}/pki/switchca/cacert.pem`;
  const pidfile = `${dir}/relay.pid`;
  await runOk(["ip", "-n", sb.underlayNetns, "addr", "add", `${ADDRESS}/24`, "dev", "ulbr"]);
  // TCP from this namespace's own stack reaches the hosts' userspace datapath only with
  // complete checksums (the notes' veth pitfall): no transmit offload on the bridge.
  await runOk(["ip", "netns", "exec", sb.underlayNetns, "ethtool", "-K", "ulbr", "tx", "off"]);
  await runOk([
    "ip",
    "netns",
    "exec",
    sb.underlayNetns,
    "ovsdb-server",
    "--detach",
    "--no-chdir",
    `--pidfile=${pidfile}`,
    `--log-file=${dir}/relay.log`,
    `--unixctl=${dir}/relay.ctl`,
    `--remote=pssl:${port}:${ADDRESS}`,
    `--private-key=${dir}/nb-privkey.pem`,
    `--certificate=${dir}/nb-cert.pem`,
    `--ca-cert=${caCert}`,
    `relay:OVN_Northbound:${sb.nbRemote}`,
  ]);
  const remote = `ssl:${ADDRESS}:${port}`;
  const files = {
    privateKey: `${dir}/client-privkey.pem`,
    certificate: `${dir}/client-cert.pem`,
    caCert,
  };
  return {
    remote,
    ...files,
    flags: [
      `--db=${remote}`,
      `--private-key=${files.privateKey}`,
      `--certificate=${files.certificate}`,
      `--ca-cert=${files.caCert}`,
    ],
    stop: async () => {
      const pid = Number((await Deno.readTextFile(pidfile).catch(() => "")).trim());
      if (pid > 0) {
        try {
          Deno.kill(pid, "SIGTERM");
        } catch { /* gone */ }
        for (let i = 0; i < 100 && await alive(pid); i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      await run(["ip", "-n", sb.underlayNetns, "addr", "del", `${ADDRESS}/24`, "dev", "ulbr"]);
    },
  };
}

/** Alive and not a zombie (this machine's pid 1 reaps lazily). */
async function alive(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  return stat !== "" && !/\) Z /.test(stat);
}
