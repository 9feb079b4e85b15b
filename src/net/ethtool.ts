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

import { errnoText, keepAlive, libc, ptr, socketIn } from "./libc.ts";

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCETHTOOL = 0x8946;
const ETHTOOL_STXCSUM = 0x17;

/** Turns off TX checksumming of `ifname` in the namespace bind-mounted at `nsPath`. */
export function disableTxChecksum(nsPath: string, ifname: string): void {
  if (new TextEncoder().encode(ifname).length > 15) throw new Error(`bad interface name ${ifname}`);
  const sock = socketIn(nsPath, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    throw new Error(`cannot open network namespace ${nsPath} for a socket: ${errnoText(-sock)}`);
  }
  try {
    const value = new Uint32Array([ETHTOOL_STXCSUM, 0]);
    const ifreq = new Uint8Array(40);
    ifreq.set(new TextEncoder().encode(ifname));
    const data = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(value)));
    new DataView(ifreq.buffer).setBigUint64(16, data, true);
    const failed = libc().ioctl(sock, BigInt(SIOCETHTOOL), ptr(ifreq)) !== 0;
    keepAlive(value, ifreq);
    if (failed) throw new Error(`ethtool request on ${ifname} in ${nsPath} failed`);
  } finally {
    libc().close(sock);
  }
}
