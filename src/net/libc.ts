/**
 * libc through Deno's FFI, opened once per process for every in-process
 * kernel request of the plugin (rtnetlink in netlink.ts, the ethtool ioctl in
 * ethtool.ts): Deno.dlopen binds every symbol anew (about 0.3 ms each time),
 * and libc is never unloaded anyway.
 */
import { FatalError } from "../errors.ts";

const SYMBOLS = {
  open: { parameters: ["pointer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "pointer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "pointer", "u32"], result: "i32" },
  send: { parameters: ["i32", "pointer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "pointer", "usize", "i32"], result: "isize" },
  ioctl: { parameters: ["i32", "u64", "pointer"], result: "i32" },
  /**
   * send(2) on one of Deno's blocking threads: the kernel carries a request out
   * inside send(), and a link deletion takes it ~20 ms (RCU grace periods).
   */
  sendOffThread: {
    name: "send",
    parameters: ["i32", "pointer", "usize", "i32"],
    result: "isize",
    nonblocking: true,
  },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const;

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/**
 * A buffer as a pointer argument (Deno binds pointer parameters ~3 times
 * faster than buffer ones). The caller keeps `buf` referenced until the call
 * that uses the pointer has returned.
 */
export function ptr(buf: Uint8Array): Deno.PointerValue {
  return Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>);
}

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
  const file = encoder.encode(`${path}\0`);
  const fd = libc().open(ptr(file), O_RDONLY_CLOEXEC);
  keepAlive(file);
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

/**
 * posix_spawn(3) of the program at `path` in a session of its own, with
 * stdin, stdout and stderr on /dev/null and only PATH in its environment; not
 * waited for. The spawn itself (a vfork until the child execs) runs on a
 * blocking thread. Rejects when the program cannot be started.
 */
export async function spawnDetached(path: string, argv: string[]): Promise<void> {
  const { symbols: c } = spawnLib ??= Deno.dlopen("libc.so.6", SPAWN_SYMBOLS);
  const actions = new Uint8Array(256); // posix_spawn_file_actions_t is 80 bytes on glibc
  const attr = new Uint8Array(512); // posix_spawnattr_t is 336
  const devNull = cString("/dev/null");
  const file = cString(path);
  const args = argv.map(cString);
  const env = [cString(`PATH=${Deno.env.get("PATH") ?? ""}`)];
  const [argvArray, envArray] = [pointers(args), pointers(env)];
  const pid = new Uint8Array(4);
  const check = (what: string, err: number) => {
    if (err !== 0) throw new Error(`${what} for ${path}: ${errnoText(err)}`);
  };
  check("posix_spawn_file_actions_init", c.posix_spawn_file_actions_init(ptr(actions)));
  check("posix_spawnattr_init", c.posix_spawnattr_init(ptr(attr)));
  try {
    for (const [fd, mode] of [[0, O_RDONLY], [1, O_WRONLY], [2, O_WRONLY]]) {
      const added = c.posix_spawn_file_actions_addopen(ptr(actions), fd, ptr(devNull), mode, 0);
      check("posix_spawn_file_actions_addopen", added);
    }
    // Whatever the caller inherited without close-on-exec stays out of the child (glibc ≥ 2.34).
    if (c.posix_spawn_file_actions_addclosefrom_np) {
      const closed = c.posix_spawn_file_actions_addclosefrom_np(ptr(actions), 3);
      check("posix_spawn_file_actions_addclosefrom_np", closed);
    }
    check("posix_spawnattr_setflags", c.posix_spawnattr_setflags(ptr(attr), POSIX_SPAWN_SETSID));
    const spawned = await c.posix_spawn(
      ptr(pid),
      ptr(file),
      ptr(actions),
      ptr(attr),
      ptr(argvArray),
      ptr(envArray),
    );
    check("posix_spawn", spawned);
  } finally {
    c.posix_spawn_file_actions_destroy(ptr(actions));
    c.posix_spawnattr_destroy(ptr(attr));
    // The buffers the other thread read are kept alive until here.
    keepAlive(devNull, file, pid, argvArray, envArray, ...args, ...env);
  }
}

/** Keeps buffers referenced up to the point of this call (after the FFI calls that use them). */
export function keepAlive(..._buffers: ArrayBufferView[]): void {}

const O_RDONLY = 0;
const O_WRONLY = 1;
const POSIX_SPAWN_SETSID = 0x80;
/** Opened apart from {@link SYMBOLS}: only DEL spawns, and ADD need not bind these. */
const SPAWN_SYMBOLS = {
  posix_spawn: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  posix_spawn_file_actions_init: { parameters: ["pointer"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["pointer", "i32", "pointer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_addclosefrom_np: {
    parameters: ["pointer", "i32"],
    result: "i32",
    optional: true,
  },
  posix_spawn_file_actions_destroy: { parameters: ["pointer"], result: "i32" },
  posix_spawnattr_init: { parameters: ["pointer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["pointer", "i16"], result: "i32" },
  posix_spawnattr_destroy: { parameters: ["pointer"], result: "i32" },
} as const;
let spawnLib: Deno.DynamicLibrary<typeof SPAWN_SYMBOLS> | undefined;

function cString(s: string): Uint8Array {
  return encoder.encode(`${s}\0`);
}

/** A NULL-terminated array of pointers to `strings` (which must outlive its use). */
function pointers(strings: Uint8Array[]): Uint8Array {
  const a = new BigUint64Array(strings.length + 1);
  strings.forEach((s, i) => a[i] = BigInt(Deno.UnsafePointer.value(ptr(s))));
  return new Uint8Array(a.buffer);
}
