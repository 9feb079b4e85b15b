/**
 * Veth pairs, interface addresses and routes through rtnetlink, in this
 * process: the same requests iproute2's `ip` sends, without a process per
 * step (each `ip` costs milliseconds; a request here costs microseconds).
 *
 * A netlink socket acts on the network namespace it was created in, so one
 * for a container is opened as ethtool.ts opens its socket: the calling thread
 * enters the namespace with setns(2), creates the socket, and returns at once.
 * Every request asks for an acknowledgement (NLM_F_ACK) and waits for it, with
 * a timeout; a refusal becomes a {@link NetlinkError} carrying the errno.
 *
 * The calls are synchronous (FFI into libc on the calling thread: the event
 * loop waits for the kernel, as ethtool.ts' does) and IPv4 only. Headers go
 * in host order; the socket options assume 64-bit Linux on x86-64 or arm64.
 *
 * The encoding (nlmsghdr, ifinfomsg, ifaddrmsg, rtmsg, attributes) is kept in
 * pure functions, laid out attribute for attribute as `ip` lays out the same
 * request, so that netlink_test.ts can compare them byte for byte.
 */

import { parseCidr, parseIpv4 } from "./cidr.ts";
import { errnoText, lastErrno, libc as c, openNamespace, ptr, socketIn } from "./libc.ts";

// ---- Constants (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/veth.h) ----

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_NEWROUTE = 24;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
/** On an NLMSG_ERROR: the echoed request was cut to its header (NETLINK_CAP_ACK). */
const NLM_F_CAPPED = 0x100;
/** On an NLMSG_ERROR: extended-ACK attributes follow (NETLINK_EXT_ACK). */
const NLM_F_ACK_TLVS = 0x200;
const NLMSGERR_ATTR_MSG = 1;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_EXT_MASK = 29;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
/** RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS: what `ip` asks for, a short answer. */
const RTEXT_FILTER = 0x1 | 0x8;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;

const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_NETLINK = 16;
const IFF_UP = 0x1;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RTN_UNICAST = 1;

const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
/** SO_RCVTIMEO on x86-64, arm64 and the other asm-generic architectures (not ppc, mips…). */
const SO_RCVTIMEO = 20;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const MSG_TRUNC = 0x20;

/** The errno values callers may want to tell apart (Linux asm-generic numbering: x86, arm…). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EAGAIN: 11,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ERANGE: 34,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ETIMEDOUT: 110,
} as const;

// ---- Errors ----

/**
 * A request the kernel refused, or a system call of this module that failed:
 * `errno` is the positive errno, `op` names what was being done, and the
 * message reads e.g. "create veth pair vh1/eth0: File exists".
 */
export class NetlinkError extends Error {
  override name = "NetlinkError";
  constructor(readonly op: string, readonly errno: number, detail = "") {
    super(`${op}: ${errnoText(errno)}${detail ? ` (${detail})` : ""}`);
  }
}

// ---- Pure encoding ----

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();

/** Rounds up to the 4-byte alignment of netlink messages and attributes (NLMSG_ALIGN, RTA_ALIGN). */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * One attribute (struct rtattr: u16 length, u16 type, then the payload),
 * zero-padded to 4 bytes. The length counts the header and payload, not the
 * padding. A list of payloads makes a nested attribute of those (each one
 * already padded, so counted padded, as the kernel and `ip` do).
 */
export function rtattr(type: number, payload: Uint8Array | Uint8Array[]): Uint8Array {
  const body = Array.isArray(payload) ? concat(payload) : payload;
  if (4 + body.length > 0xffff) throw new Error(`netlink attribute ${type} too long`);
  const out = new Uint8Array(align4(4 + body.length));
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + body.length, HOST_LE);
  v.setUint16(2, type, HOST_LE);
  out.set(body, 4);
  return out;
}

/** A u32 attribute in host order (IFLA_MTU, RTA_PRIORITY, …); throws on a value out of range. */
export function rtattrU32(type: number, value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`bad value ${value} for netlink attribute ${type}`);
  }
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, HOST_LE);
  return rtattr(type, b);
}

/** A string attribute, NUL-terminated (IFLA_IFNAME). */
export function rtattrString(type: number, s: string): Uint8Array {
  return rtattr(type, encoder.encode(`${s}\0`));
}

/**
 * A whole message: struct nlmsghdr (u32 length, u16 type, u16 flags, u32
 * sequence, u32 port id 0 = to the kernel) followed by the body's parts.
 */
export function nlmsg(type: number, flags: number, seq: number, parts: Uint8Array[]): Uint8Array {
  const body = concat(parts);
  const out = new Uint8Array(16 + align4(body.length));
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length, HOST_LE);
  v.setUint16(4, type, HOST_LE);
  v.setUint16(6, flags, HOST_LE);
  v.setUint32(8, seq >>> 0, HOST_LE);
  v.setUint32(12, 0, HOST_LE);
  out.set(body, 16);
  return out;
}

/** struct ifinfomsg (16 bytes): family, type, index, flags and the mask of flags to change. */
export function ifinfomsg(
  m: { family?: number; type?: number; index?: number; flags?: number; change?: number } = {},
): Uint8Array {
  const out = new Uint8Array(16);
  const v = new DataView(out.buffer);
  v.setUint8(0, m.family ?? AF_UNSPEC);
  v.setUint16(2, m.type ?? 0, HOST_LE);
  v.setInt32(4, m.index ?? 0, HOST_LE);
  v.setUint32(8, m.flags ?? 0, HOST_LE);
  v.setUint32(12, m.change ?? 0, HOST_LE);
  return out;
}

/** struct ifaddrmsg (8 bytes). */
export function ifaddrmsg(
  m: { family: number; prefixlen: number; flags?: number; scope?: number; index: number },
): Uint8Array {
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint8(0, m.family);
  v.setUint8(1, m.prefixlen);
  v.setUint8(2, m.flags ?? 0);
  v.setUint8(3, m.scope ?? RT_SCOPE_UNIVERSE);
  v.setUint32(4, m.index, HOST_LE);
  return out;
}

/** struct rtmsg (12 bytes). */
export function rtmsg(m: {
  family: number;
  dstLen?: number;
  srcLen?: number;
  tos?: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags?: number;
}): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  out.set([
    m.family,
    m.dstLen ?? 0,
    m.srcLen ?? 0,
    m.tos ?? 0,
    m.table,
    m.protocol,
    m.scope,
    m.type,
  ]);
  v.setUint32(8, m.flags ?? 0, HOST_LE);
  return out;
}

/** "10.0.0.5" as its 4 bytes (network order); throws on anything else. */
export function ipv4Bytes(s: string): Uint8Array {
  const n = parseIpv4(s);
  if (n === undefined) throw new Error(`bad IPv4 address ${s}`);
  return ipBytes(n);
}

function ipBytes(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/** "10.0.0.5/24" as the address' bytes and the prefix length; throws on anything else. */
export function cidrBytes(s: string): { ip: Uint8Array; prefixlen: number } {
  const c = parseCidr(s);
  if (!c) throw new Error(`bad IPv4 address/prefix ${s}`);
  return { ip: ipBytes(c.ip), prefixlen: c.prefix };
}

/** "0a:58:0a:00:00:05" as its 6 bytes. */
export function parseMac(s: string): Uint8Array {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) throw new Error(`bad MAC address ${s}`);
  return new Uint8Array(s.split(":").map((h) => parseInt(h, 16)));
}

/** Interface names are at most 15 bytes (IFNAMSIZ less the NUL); the kernel checks the rest. */
function checkIfname(name: string): void {
  const n = encoder.encode(name).length;
  if (n === 0 || n > 15) throw new Error(`bad interface name ${JSON.stringify(name)}`);
}

/** What {@link vethCreateRequest} needs: the pair's names, the MTU, the peer's namespace fd. */
export interface VethRequest {
  hostName: string;
  peerName: string;
  mtu: number;
  netnsFd: number;
}

/**
 * RTM_NEWLINK creating a veth pair, host end up, peer down in the namespace
 * of `netnsFd`: `ip link add H mtu M up type veth peer name P mtu M netns NS`.
 */
export function vethCreateRequest(seq: number, r: VethRequest): Uint8Array {
  checkIfname(r.hostName);
  checkIfname(r.peerName);
  const peer = rtattr(VETH_INFO_PEER, [
    ifinfomsg(),
    rtattrU32(IFLA_MTU, r.mtu),
    rtattrU32(IFLA_NET_NS_FD, r.netnsFd),
    rtattrString(IFLA_IFNAME, r.peerName),
  ]);
  return nlmsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE, seq, [
    ifinfomsg({ flags: IFF_UP, change: IFF_UP }),
    rtattrU32(IFLA_MTU, r.mtu),
    rtattrString(IFLA_IFNAME, r.hostName),
    rtattr(IFLA_LINKINFO, [
      rtattr(IFLA_INFO_KIND, encoder.encode("veth")), // no NUL, as `ip` sends it
      rtattr(IFLA_INFO_DATA, [peer]),
    ]),
  ]);
}

/** RTM_DELLINK by name (`ip link del NAME`, which looks the index up first). */
export function linkDeleteRequest(seq: number, name: string): Uint8Array {
  checkIfname(name);
  return nlmsg(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq, [
    ifinfomsg(),
    rtattrString(IFLA_IFNAME, name),
  ]);
}

/** RTM_GETLINK by name, without statistics (as `ip` asks), answered by one RTM_NEWLINK. */
export function linkGetRequest(seq: number, name: string): Uint8Array {
  checkIfname(name);
  return nlmsg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq, [
    ifinfomsg(),
    rtattrU32(IFLA_EXT_MASK, RTEXT_FILTER),
    rtattrString(IFLA_IFNAME, name),
  ]);
}

/**
 * RTM_NEWLINK changing an existing link, by index or else by name: its MAC
 * (`ip link set dev X address M`), up or down (`ip link set dev X up|down`),
 * and, by index, its name (`ip link set dev X name Y`). The kernel sets the
 * address and the name before it changes the flags (so a rename needs the
 * link down already).
 */
export function linkSetRequest(
  seq: number,
  s: { index?: number; name?: string; mac?: string; up?: boolean; rename?: string },
): Uint8Array {
  const parts = [
    ifinfomsg({
      index: s.index ?? 0,
      flags: s.up ? IFF_UP : 0,
      change: s.up === undefined ? 0 : IFF_UP,
    }),
  ];
  if (!s.index) {
    if (s.name === undefined) throw new Error("linkSetRequest needs an index or a name");
    if (s.rename !== undefined) throw new Error("linkSetRequest renames by index only");
    checkIfname(s.name);
    parts.push(rtattrString(IFLA_IFNAME, s.name));
  } else if (s.rename !== undefined) {
    checkIfname(s.rename);
    parts.push(rtattrString(IFLA_IFNAME, s.rename));
  }
  if (s.mac !== undefined) parts.push(rtattr(IFLA_ADDRESS, parseMac(s.mac)));
  return nlmsg(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, parts);
}

/** RTM_NEWADDR of an IPv4 address/prefix on a link (`ip addr add A/L dev X`). */
export function addressAddRequest(seq: number, a: { index: number; address: string }): Uint8Array {
  const { ip, prefixlen } = cidrBytes(a.address);
  return nlmsg(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE, seq, [
    ifaddrmsg({ family: AF_INET, prefixlen, index: a.index }),
    rtattr(IFA_LOCAL, ip),
    rtattr(IFA_ADDRESS, ip),
  ]);
}

/**
 * RTM_NEWROUTE of an IPv4 default route via a gateway out of a link, in the
 * main table, protocol boot, scope universe (`ip route add default via G dev X metric M`).
 */
export function defaultRouteAddRequest(
  seq: number,
  r: { index: number; gateway: string; metric: number },
): Uint8Array {
  return nlmsg(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE, seq, [
    rtmsg({
      family: AF_INET,
      table: RT_TABLE_MAIN,
      protocol: RTPROT_BOOT,
      scope: RT_SCOPE_UNIVERSE,
      type: RTN_UNICAST,
    }),
    rtattr(RTA_GATEWAY, ipv4Bytes(r.gateway)),
    rtattrU32(RTA_PRIORITY, r.metric),
    rtattrU32(RTA_OIF, r.index),
  ]);
}

// ---- Pure decoding ----

/** One message of a datagram from the kernel; `payload` is what follows the header. */
export interface NlMsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Uint8Array;
}

/** Splits a datagram into its messages (views into it); throws on a malformed one. */
export function parseMessages(buf: Uint8Array): NlMsg[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NlMsg[] = [];
  for (let off = 0; off + 16 <= buf.length;) {
    const len = v.getUint32(off, HOST_LE);
    if (len < 16 || off + len > buf.length) throw new Error("malformed netlink message");
    out.push({
      type: v.getUint16(off + 4, HOST_LE),
      flags: v.getUint16(off + 6, HOST_LE),
      seq: v.getUint32(off + 8, HOST_LE),
      pid: v.getUint32(off + 12, HOST_LE),
      payload: buf.subarray(off + 16, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** The attributes of a region (first of each type; nested ones left as bytes). */
export function parseAttrs(buf: Uint8Array): Map<number, Uint8Array> {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Map<number, Uint8Array>();
  for (let off = 0; off + 4 <= buf.length;) {
    const len = v.getUint16(off, HOST_LE);
    if (len < 4 || off + len > buf.length) break;
    const type = v.getUint16(off + 2, HOST_LE) & 0x3fff; // without NLA_F_NESTED/NET_BYTEORDER
    if (!out.has(type)) out.set(type, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/**
 * An NLMSG_ERROR's payload: the positive errno (0 for an acknowledgement) and
 * the kernel's own explanation when it gave one (extended ACK, e.g.
 * "Attribute failed policy validation").
 */
export function parseError(m: NlMsg): { errno: number; message?: string } {
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  if (m.payload.length < 4) throw new Error("short netlink error message");
  const errno = -v.getInt32(0, HOST_LE) | 0; // | 0: an ACK is 0, not -0
  if (!(m.flags & NLM_F_ACK_TLVS) || m.payload.length < 20) return { errno };
  // int error; struct nlmsghdr of the request; the request's body unless capped; then TLVs
  const echoed = v.getUint32(4, HOST_LE);
  const tlvs = 4 + (m.flags & NLM_F_CAPPED ? 16 : align4(echoed));
  const msg = parseAttrs(m.payload.subarray(Math.min(tlvs, m.payload.length))).get(
    NLMSGERR_ATTR_MSG,
  );
  if (!msg) return { errno };
  const text = new TextDecoder().decode(msg).replace(/\0.*$/s, "");
  return text ? { errno, message: text } : { errno };
}

/** The interface index of an RTM_NEWLINK (the answer to RTM_GETLINK). */
export function ifindexOf(m: NlMsg): number {
  if (m.type !== RTM_NEWLINK || m.payload.length < 16) throw new Error("not a link message");
  return new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(4, HOST_LE);
}

// ---- libc (shared with ethtool.ts: see libc.ts) ----

/** A NETLINK_ROUTE socket in this thread's namespace, or in the one at `netnsPath`. */
function routeSocket(netnsPath?: string): number {
  const fd = socketIn(netnsPath, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    throw new NetlinkError(`open a netlink socket${netnsPath ? ` in ${netnsPath}` : ""}`, -fd);
  }
  return fd;
}

/** open(2) of a namespace path for IFLA_NET_NS_FD. */
function openNetns(path: string): number {
  const fd = openNamespace(path);
  if (fd < 0) throw new NetlinkError(`open network namespace ${path}`, -fd);
  return fd;
}

// ---- The socket ----

/** Default wait for the kernel's answer to one request. */
export const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * An rtnetlink socket of one network namespace. Requests go one at a time,
 * each waiting for its acknowledgement; close it when done.
 */
export class Rtnl {
  #fd: number;
  #seq = 0;
  #busy = false;
  #buf = new Uint8Array(32 * 1024);
  #timeoutMs: number;
  /** " in /path" for messages, or "" for this thread's own namespace. */
  readonly #where: string;

  private constructor(fd: number, netnsPath: string | undefined, timeoutMs: number) {
    this.#fd = fd;
    this.#where = netnsPath === undefined ? "" : ` in ${netnsPath}`;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Opens a socket in this thread's namespace, or in the one bind-mounted at
   * `netnsPath` (throws {@link FatalError} if the thread could not come back).
   */
  static open(netnsPath?: string, timeoutMs = DEFAULT_TIMEOUT_MS): Rtnl {
    const fd = routeSocket(netnsPath);
    try {
      const opt = (level: number, name: number, value: Uint8Array, what: string) => {
        if (c().setsockopt(fd, level, name, ptr(value), value.length) !== 0) {
          throw new NetlinkError(`set ${what} on a netlink socket`, lastErrno());
        }
      };
      const one = new Uint8Array(new Int32Array([1]).buffer);
      // Error answers without the echoed request, with the kernel's explanation.
      opt(SOL_NETLINK, NETLINK_CAP_ACK, one, "NETLINK_CAP_ACK");
      opt(SOL_NETLINK, NETLINK_EXT_ACK, one, "NETLINK_EXT_ACK");
      const ms = Math.max(1, Math.trunc(timeoutMs));
      const tv = new BigInt64Array([BigInt(Math.floor(ms / 1000)), BigInt((ms % 1000) * 1000)]);
      opt(SOL_SOCKET, SO_RCVTIMEO, new Uint8Array(tv.buffer), "SO_RCVTIMEO");
      const addr = new Uint8Array(12); // sockaddr_nl: family, pad, pid 0 (kernel picks), groups 0
      new DataView(addr.buffer).setUint16(0, AF_NETLINK, HOST_LE);
      if (c().bind(fd, ptr(addr), addr.length) !== 0) {
        throw new NetlinkError("bind a netlink socket", lastErrno());
      }
    } catch (e) {
      c().close(fd);
      throw e;
    }
    return new Rtnl(fd, netnsPath, timeoutMs);
  }

  close(): void {
    if (this.#busy) throw new Error("netlink socket busy: close it once the request is answered");
    if (this.#fd >= 0) c().close(this.#fd);
    this.#fd = -1;
  }

  /**
   * Sends the request `build(seq)` makes and reads up to its acknowledgement;
   * answers the messages that came before it (e.g. RTM_GETLINK's answer).
   * Throws a {@link NetlinkError} naming `op` when the kernel refuses.
   */
  request(op: string, build: (seq: number) => Uint8Array): NlMsg[] {
    const seq = this.#next(op);
    const msg = build(seq);
    const sent = Number(c().send(this.#fd, ptr(msg), BigInt(msg.length), 0));
    if (sent !== msg.length) throw new NetlinkError(op, sent < 0 ? lastErrno() : Errno.EMSGSIZE);
    return this.#answers(op, seq);
  }

  /**
   * {@link request} with the send(2), where the kernel does the work, on a
   * blocking thread: the event loop goes on meanwhile. It costs a thread hop
   * (tens of µs), worth it for slow requests only (link deletion). The socket
   * takes no other request until the answer is in.
   */
  async requestOffThread(op: string, build: (seq: number) => Uint8Array): Promise<NlMsg[]> {
    const seq = this.#next(op);
    const msg = build(seq);
    this.#busy = true;
    let sent: number;
    try {
      sent = Number(await c().sendOffThread(this.#fd, ptr(msg), BigInt(msg.length), 0));
    } finally {
      this.#busy = false;
    }
    // errno stayed on the other thread; a netlink send fails only short of memory
    if (sent !== msg.length) throw new NetlinkError(op, Errno.EIO, "send failed");
    return this.#answers(op, seq);
  }

  #next(op: string): number {
    if (this.#fd < 0) throw new Error(`${op}: netlink socket closed`);
    if (this.#busy) throw new Error(`${op}: netlink socket busy with another request`);
    return this.#seq = (this.#seq + 1) >>> 0;
  }

  /** Reads the answers to request `seq` up to its ACK (already queued: send did the work). */
  #answers(op: string, seq: number): NlMsg[] {
    const answers: NlMsg[] = [];
    for (;;) {
      const n = Number(c().recv(this.#fd, ptr(this.#buf), BigInt(this.#buf.length), MSG_TRUNC));
      if (n < 0) {
        const errno = lastErrno();
        if (errno === Errno.EINTR) continue;
        if (errno === Errno.EAGAIN) {
          throw new NetlinkError(op, Errno.ETIMEDOUT, `no answer within ${this.#timeoutMs} ms`);
        }
        throw new NetlinkError(op, errno, "reading the answer");
      }
      if (n > this.#buf.length) throw new NetlinkError(op, Errno.EMSGSIZE, "answer too long");
      for (const m of parseMessages(this.#buf.subarray(0, n))) {
        if (m.seq !== seq) continue; // a late answer to an earlier request
        if (m.type === NLMSG_ERROR) {
          const { errno, message } = parseError(m);
          if (errno === 0) return answers;
          throw new NetlinkError(op, errno, message);
        }
        if (m.type === NLMSG_DONE) return answers;
        answers.push({ ...m, payload: m.payload.slice() });
      }
    }
  }

  /** The index of the interface `name`; a {@link NetlinkError} ENODEV when there is none. */
  linkIndex(name: string): number {
    const answers = this.request(
      `look up interface ${name}${this.#where}`,
      (seq) => linkGetRequest(seq, name),
    );
    const link = answers.find((m) => m.type === RTM_NEWLINK);
    if (!link) throw new NetlinkError(`look up interface ${name}${this.#where}`, Errno.ENODEV);
    return ifindexOf(link);
  }

  /** See {@link createVethPair}; the host end goes into this socket's namespace. */
  createVethPair(p: VethPair): void {
    const netnsFd = openNetns(p.peerNetnsPath);
    try {
      this.request(
        `create veth pair ${p.hostName}/${p.peerName}${this.#where} (peer into ${p.peerNetnsPath})`,
        (seq) => vethCreateRequest(seq, { ...p, netnsFd }),
      );
    } finally {
      c().close(netnsFd);
    }
  }

  /** {@link createVethPair} with the kernel's work on a blocking thread: the event loop goes on. */
  async createVethPairOffThread(p: VethPair): Promise<void> {
    const netnsFd = openNetns(p.peerNetnsPath);
    try {
      await this.requestOffThread(
        `create veth pair ${p.hostName}/${p.peerName}${this.#where} (peer into ${p.peerNetnsPath})`,
        (seq) => vethCreateRequest(seq, { ...p, netnsFd }),
      );
    } finally {
      c().close(netnsFd);
    }
  }

  /** Deletes a link by name: true, or false when there is none (ENODEV). Off the event loop. */
  async deleteLink(name: string): Promise<boolean> {
    try {
      await this.requestOffThread(
        `delete interface ${name}${this.#where}`,
        (seq) => linkDeleteRequest(seq, name),
      );
      return true;
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === Errno.ENODEV) return false;
      throw e;
    }
  }

  /**
   * Takes link `name` down and renames it `to` (a link must be down to be
   * renamed): true, or false when no link has that name (ENODEV). Taking a
   * veth down waits for an RCU grace period (0.5–5 ms here): that request goes
   * on a blocking thread, the event loop goes on meanwhile.
   */
  async setDownAndRename(name: string, to: string): Promise<boolean> {
    let index: number;
    try {
      index = this.linkIndex(name);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === Errno.ENODEV) return false;
      throw e;
    }
    await this.requestOffThread(
      `set ${name} down${this.#where}`,
      (seq) => linkSetRequest(seq, { index, up: false }),
    );
    this.request(
      `rename ${name} to ${to}${this.#where}`,
      (seq) => linkSetRequest(seq, { index, rename: to }),
    );
    return true;
  }

  /** See {@link configureInNamespace}; on this socket's namespace. */
  configureInterface(cfg: InterfaceConfig): void {
    const { ifname, mac, address, gateway, metric } = cfg;
    // Checked before anything changes, so that a bad value leaves the interface as it was.
    parseMac(mac);
    cidrBytes(address);
    ipv4Bytes(gateway);
    const index = this.linkIndex(ifname);
    // MAC then up in one request: the kernel applies IFLA_ADDRESS before the flags.
    this.request(
      `set ${ifname}'s MAC ${mac} and up${this.#where}`,
      (seq) => linkSetRequest(seq, { index, mac, up: true }),
    );
    this.request(
      `add address ${address} to ${ifname}${this.#where}`,
      (seq) => addressAddRequest(seq, { index, address }),
    );
    this.request(`set lo up${this.#where}`, (seq) => linkSetRequest(seq, { name: "lo", up: true }));
    this.request(
      `add default route via ${gateway} dev ${ifname} metric ${metric}${this.#where}`,
      (seq) => defaultRouteAddRequest(seq, { index, gateway, metric }),
    );
  }
}

/** Runs `f` (synchronous) on a socket of this thread's namespace or of `netnsPath`, then closes it. */
export function withRtnl<T>(netnsPath: string | undefined, f: (r: Rtnl) => T): T {
  const r = Rtnl.open(netnsPath);
  try {
    return f(r);
  } finally {
    r.close();
  }
}

// ---- The operations ----

/** A veth pair: its two names, one MTU for both, and where the peer goes. */
export interface VethPair {
  /** The end that stays (in this thread's namespace, or `hostNetnsPath`), set up. */
  hostName: string;
  /** The end that goes into `peerNetnsPath`, left down. */
  peerName: string;
  mtu: number;
  /** A network namespace path (bind mount or /proc/PID/ns/net). */
  peerNetnsPath: string;
}

/**
 * Creates a veth pair, as `ip link add H mtu M up type veth peer name P mtu M
 * netns NS` does: one request. The host end is created in this thread's
 * namespace (or `hostNetnsPath`, for tests and benchmarks). Either name being
 * taken is a {@link NetlinkError} with errno EEXIST (17); a peer path that is
 * not a network namespace is ENOENT (missing) or EINVAL.
 */
export function createVethPair(p: VethPair & { hostNetnsPath?: string }): void {
  withRtnl(p.hostNetnsPath, (r) => r.createVethPair(p));
}

/**
 * {@link createVethPair} with the kernel's work (about half a millisecond, more
 * while it is busy) off the event loop, so that database requests go out and
 * come back meanwhile. The host end goes into this thread's namespace.
 */
export async function createVethPairAsync(p: VethPair): Promise<void> {
  const r = Rtnl.open();
  try {
    await r.createVethPairOffThread(p);
  } finally {
    r.close();
  }
}

/**
 * Deletes the link `name` (a veth's peer goes with it): true, or false when no
 * link has that name (ENODEV). Other refusals reject with a {@link NetlinkError}.
 * The kernel takes ~20 ms over a veth (it waits for RCU grace periods, whoever
 * asks); that wait is spent on a blocking thread, not the event loop.
 */
export async function deleteLink(name: string, netnsPath?: string): Promise<boolean> {
  const r = Rtnl.open(netnsPath);
  try {
    return await r.deleteLink(name);
  } finally {
    r.close();
  }
}

/** See {@link Rtnl.setDownAndRename}; in this process' namespace. */
export async function setDownAndRename(name: string, to: string): Promise<boolean> {
  const r = Rtnl.open();
  try {
    return await r.setDownAndRename(name, to);
  } finally {
    r.close();
  }
}

/** The index of interface `name` here or in `netnsPath`; ENODEV when there is none. */
export function linkIndex(name: string, netnsPath?: string): number {
  return withRtnl(netnsPath, (r) => r.linkIndex(name));
}

/** How {@link configureInNamespace} sets up the container's interface. */
export interface InterfaceConfig {
  ifname: string;
  /** e.g. "0a:58:0a:00:00:05" */
  mac: string;
  /** IPv4 address and prefix length, e.g. "10.0.0.5/24" */
  address: string;
  /** The default route's next hop, on `address`' subnet. */
  gateway: string;
  /** The default route's metric (RTA_PRIORITY). */
  metric: number;
}

/**
 * Sets up an interface in the namespace at `netnsPath` as src/cni/port.ts's
 * configureContainer does with `ip -n NS -batch`: its MAC, up, the address,
 * `lo` up, and a default route via the gateway out of it with the metric
 * (main table, protocol boot, scope universe). Five requests on one socket
 * opened inside the namespace; the first failure stops and throws (what was
 * done stays done, as with `ip -batch`): EEXIST (17) for an address or route
 * already there, ENODEV (19) for no such interface, ENETUNREACH (101) for a
 * gateway off the address' subnet.
 */
export function configureInNamespace(netnsPath: string, cfg: InterfaceConfig): void {
  withRtnl(netnsPath, (r) => r.configureInterface(cfg));
}
