/**
 * libc through Deno's FFI, opened once per process for every in-process
 * kernel request of the plugin (rtnetlink in netlink.ts, the ethtool ioctl in
 * ethtool.ts): Deno.dlopen binds every symbol anew (about 0.3 ms each time),
 * and libc is never unloaded anyway.
 */
import { FatalError } from "../errors.ts";

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  /**
   * send(2) on one of Deno's blocking threads: the kernel carries a request out
   * inside send(), and a link deletion takes it ~20 ms (RCU grace periods).
   */
  sendOffThread: {
    name: "send",
    parameters: ["i32", "buffer", "usize", "i32"],
    result: "isize",
    nonblocking: true,
  },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/** The symbols, loading libc at the first call. */
export function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  return (lib ??= Deno.dlopen("libc.so.6", SYMBOLS)).symbols;
}

/** errno of the last failed libc call (read at once, on the same thread). */
export function lastErrno(): number {
  const p = libc().__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

/** strerror(3): "File exists" for 17. */
export function errnoText(errno: number): string {
  const p = libc().strerror(errno);
  return p ? Deno.UnsafePointerView.getCString(p) : `errno ${errno}`;
}

const CLONE_NEWNET = 0x40000000;
const O_RDONLY_CLOEXEC = 0o2000000;
const encoder = new TextEncoder();

/** open(2) of a namespace file: the fd, or minus errno. */
export function openNamespace(path: string): number {
  const fd = libc().open(encoder.encode(`${path}\0`), O_RDONLY_CLOEXEC);
  return fd < 0 ? -lastErrno() : fd;
}

/**
 * socket(2) in this thread's network namespace, or in the one bind-mounted at
 * `netnsPath`: the calling thread enters it just for socket(2) and comes
 * straight back (a socket stays in the namespace it was made in). Answers the
 * fd, or minus errno; a thread that cannot come back is a {@link FatalError}.
 */
export function socketIn(
  netnsPath: string | undefined,
  domain: number,
  type: number,
  protocol: number,
): number {
  const c = libc();
  if (netnsPath === undefined) {
    const fd = c.socket(domain, type, protocol);
    return fd < 0 ? -lastErrno() : fd;
  }
  const home = openNamespace("/proc/thread-self/ns/net");
  if (home < 0) return home;
  const there = openNamespace(netnsPath);
  try {
    if (there < 0) return there;
    if (c.setns(there, CLONE_NEWNET) !== 0) return -lastErrno();
    const fd = c.socket(domain, type, protocol);
    const err = fd < 0 ? lastErrno() : 0;
    if (c.setns(home, CLONE_NEWNET) !== 0) {
      // Staying in the container's namespace would misplace everything after: the entry stops.
      if (fd >= 0) c.close(fd);
      throw new FatalError(`cannot return to this host's network namespace from ${netnsPath}`);
    }
    return fd < 0 ? -err : fd;
  } finally {
    if (there >= 0) c.close(there);
    c.close(home);
  }
}
