/**
 * Turning off transmit checksum offload on an interface inside another
 * network namespace, without running `ethtool` (a process per container).
 *
 * It is the one ethtool request the plugin needs (ETHTOOL_STXCSUM), made
 * through libc: a socket opened inside the target namespace (the calling
 * thread enters it with setns(2) and returns at once), then
 * ioctl(SIOCETHTOOL) on it. The userspace OVS datapath needs this for veths,
 * whose offloaded checksums it cannot complete.
 */

import { FatalError } from "../errors.ts";

const CLONE_NEWNET = 0x40000000;
const O_RDONLY_CLOEXEC = 0o2000000;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SIOCETHTOOL = 0x8946;
const ETHTOOL_STXCSUM = 0x17;

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

const cString = (s: string) => new TextEncoder().encode(`${s}\0`);

/** Turns off TX checksumming of `ifname` in the namespace bind-mounted at `nsPath`. */
export function disableTxChecksum(nsPath: string, ifname: string): void {
  if (new TextEncoder().encode(ifname).length > 15) throw new Error(`bad interface name ${ifname}`);
  const libc = Deno.dlopen("libc.so.6", SYMBOLS);
  const c = libc.symbols;
  const fds: number[] = [];
  try {
    const home = c.open(cString("/proc/thread-self/ns/net"), O_RDONLY_CLOEXEC);
    const there = c.open(cString(nsPath), O_RDONLY_CLOEXEC);
    fds.push(home, there);
    if (home < 0 || there < 0) throw new Error(`cannot open network namespace ${nsPath}`);
    if (c.setns(there, CLONE_NEWNET) !== 0) {
      throw new Error(`cannot enter network namespace ${nsPath}`);
    }
    const sock = c.socket(AF_INET, SOCK_DGRAM, 0);
    if (c.setns(home, CLONE_NEWNET) !== 0) {
      // Staying in the container's namespace would misplace everything after: the entry stops.
      throw new FatalError(`cannot return to this host's network namespace from ${nsPath}`);
    }
    fds.push(sock);
    if (sock < 0) throw new Error(`cannot open a socket in ${nsPath}`);
    const value = new Uint32Array([ETHTOOL_STXCSUM, 0]);
    const ifreq = new Uint8Array(40);
    ifreq.set(new TextEncoder().encode(ifname));
    const data = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(value)));
    new DataView(ifreq.buffer).setBigUint64(16, data, true);
    if (c.ioctl(sock, BigInt(SIOCETHTOOL), ifreq) !== 0) {
      throw new Error(`ethtool request on ${ifname} in ${nsPath} failed`);
    }
  } finally {
    for (const fd of fds) if (fd >= 0) c.close(fd);
    libc.close();
  }
}
