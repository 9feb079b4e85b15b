/**
 * Hostile input, against the built programs on one real OVN sandbox: every
 * bad environment, stdin and configuration the plugin can be handed, and every
 * flag's bad forms for the driver. Each case answers with its error code and a
 * message naming the problem, and leaves the Northbound database, the host's
 * Open vSwitch, its kernel networking, the container's namespace, the run
 * directory and the CNI configuration file exactly as they were.
 */
import assert from "node:assert/strict";
import { run } from "../testing/run.ts";
import {
  callPlugin,
  type ClusterHost,
  DIST,
  driver,
  initCluster,
  mesosStdin,
  nodeInitArgs,
} from "../testing/cluster.ts";
import { type Sandbox, withSandbox } from "../testing/sandbox_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function exists(path: string | URL): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Columns that change by themselves (counters, link state) and say nothing about who changed what. */
const VOLATILE: Record<string, string[]> = {
  Interface: ["statistics", "status", "link_resets", "link_state", "link_speed", "duplex"],
  Open_vSwitch: ["statistics"],
};

/** A database as sorted lines, one per row: equal lists mean nothing was changed. */
async function dbRows(remote: string, db: string): Promise<string[]> {
  const r = await run(["ovsdb-client", "dump", "--format=json", remote, db], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, `ovsdb-client dump ${db}: ${r.stderr}`);
  const lines: string[] = [];
  for (const text of r.stdout.split("\n").filter(Boolean)) {
    const t = JSON.parse(text) as { caption: string; data: unknown[][]; headings: string[] };
    const table = t.caption.replace(/ table$/, "");
    const skip = VOLATILE[table] ?? [];
    for (const row of t.data) {
      const cols = t.headings.map((h, i) => [h, row[i]]).filter(([h]) =>
        !skip.includes(h as string)
      );
      lines.push(`${db} ${table} ${JSON.stringify(Object.fromEntries(cols))}`);
    }
  }
  return lines.sort();
}

/** A host's (and a container's) networking and files as text lines. */
async function hostState(sb: Sandbox, c: ClusterHost, ns: string): Promise<string[]> {
  const sh = (script: string) => run(["sh", "-c", script], { timeoutMs: 30_000 });
  const inHost = await sh(
    `ip -n ${c.host.netns} -o link; ip -n ${c.host.netns} -o addr; ip -n ${c.host.netns} route`,
  );
  const inContainer = await sh(
    `nsenter --net=${ns} sh -c 'ip -o link; ip -o addr; ip route'`,
  );
  const runDir = await sh(`cd ${sb.dir}/run && find . | sort`);
  return [
    ...inHost.stdout.split("\n").map((l) => `host: ${l}`),
    ...inContainer.stdout.split("\n").map((l) => `container: ${l}`),
    ...runDir.stdout.split("\n").map((l) => `run dir: ${l}`),
    `config: ${await Deno.readTextFile(c.init.configFile).catch((e) => `${e}`)}`,
  ];
}

/** Everything a hostile call must leave as it was. */
async function snapshot(sb: Sandbox, c: ClusterHost, ns: string): Promise<string[]> {
  return [
    ...await dbRows(sb.nbRemote, "OVN_Northbound"),
    ...await dbRows(`unix:${c.host.dir}/db.sock`, "Open_vSwitch"),
    ...await hostState(sb, c, ns),
  ];
}

/** The file that `$(…)` in an input would create if anything ran it through a shell. */
const CANARY = "/tmp/ovn-mesos-hostile-canary";
const SUBST = `$(touch ${CANARY})`;

/** One plugin case. */
interface PluginCase {
  name: string;
  command?: "ADD" | "DEL" | "CHECK" | "GC";
  /** Over the command's usual environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Over node-init's configuration (a key set to `undefined` is left out)... */
  conf?: Record<string, unknown>;
  /** ...or this exact stdin. */
  stdin?: string;
  /** The CNI error code; 0: must succeed (the attachment is then deleted again). */
  code: number;
  msg?: RegExp;
}

/** One driver case: its arguments, exit status, and the flag the one error line must name. */
interface DriverCase {
  args: string[];
  exit: 1 | 2;
  msg: RegExp;
}

Deno.test(
  "hostile input: the plugin and the driver refuse it with a precise error and change nothing",
  opts,
  () =>
    withSandbox({ hosts: 1 }, async (sb) => {
      const [c] = await initCluster(sb);
      const ns = await sb.addContainerNetns("hostile");
      const file = `${sb.dir}/not-a-namespace`;
      const dir = `${sb.dir}/a-directory`;
      await Deno.writeTextFile(file, "just a file\n");
      await Deno.mkdir(dir);
      await Deno.remove(CANARY).catch(() => {});

      const config = c.config;
      const stdinOf = (k: PluginCase): string => {
        if (k.stdin !== undefined) return k.stdin;
        const conf: Record<string, unknown> = { ...config };
        if (k.command === "CHECK" || k.command === "GC") conf.cniVersion = "1.1.0";
        for (const [key, v] of Object.entries(k.conf ?? {})) {
          if (v === undefined) delete conf[key];
          else conf[key] = v;
        }
        return JSON.stringify(conf);
      };
      const envOf = (k: PluginCase): Record<string, string> => {
        const command = k.command ?? "ADD";
        const env: Record<string, string | undefined> = {
          CNI_COMMAND: command,
          CNI_CONTAINERID: "hostile-1",
          CNI_IFNAME: "eth0",
          CNI_PATH: DIST,
          ...(command === "GC" ? {} : { CNI_NETNS: ns }),
          ...k.env,
        };
        return Object.fromEntries(
          Object.entries(env).filter(([, v]) => v !== undefined),
        ) as Record<string, string>;
      };
      // What the Mesos agent adds to the configuration: `args` with the task's network_info.
      const mesos = (networkInfo: Record<string, unknown>) => ({
        args: { "org.apache.mesos": { network_info: { name: config.name, ...networkInfo } } },
      });
      const mapping = (m: Record<string, unknown>[]) => mesos({ port_mappings: m });

      // A first ADD and DEL: the run directory's lock directory exists from now on, as on
      // any host that has had a container, and the sandbox is known to work.
      const warm = await callPlugin(c.host, envOf({ name: "", code: 0 }), mesosStdin(config));
      assert.equal(warm.code, 0, warm.stdout + warm.stderr);
      const warmDel = await callPlugin(
        c.host,
        envOf({ name: "", command: "DEL", code: 0 }),
        mesosStdin(config),
      );
      assert.equal(warmDel.code, 0, warmDel.stdout + warmDel.stderr);
      const before = await snapshot(sb, c, ns);

      const cases: PluginCase[] = [
        // The environment: every variable each command needs, missing or empty.
        {
          name: "no CNI_COMMAND",
          env: { CNI_COMMAND: undefined },
          code: 4,
          msg: /CNI_COMMAND is not set/,
        },
        {
          name: "empty CNI_COMMAND",
          env: { CNI_COMMAND: "" },
          code: 4,
          msg: /CNI_COMMAND is not set/,
        },
        {
          name: "lower-case command",
          env: { CNI_COMMAND: "add" },
          code: 4,
          msg: /unknown CNI_COMMAND "add"/,
        },
        ...(["ADD", "DEL", "CHECK"] as const).flatMap((command) =>
          (command === "DEL"
            ? ["CNI_CONTAINERID", "CNI_IFNAME"]
            : ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME"]).flatMap((v) => [
              {
                name: `${command} without ${v}`,
                command,
                env: { [v]: undefined },
                code: 4,
                msg: new RegExp(`^${v} is not set$`),
              },
              {
                name: `${command} with an empty ${v}`,
                command,
                env: { [v]: "" },
                code: 4,
                msg: new RegExp(`^${v} is not set$`),
              },
            ])
        ),
        {
          name: "ADD without any variable but CNI_COMMAND",
          env: { CNI_CONTAINERID: undefined, CNI_NETNS: undefined, CNI_IFNAME: undefined },
          code: 4,
          msg: /^CNI_CONTAINERID is not set; CNI_NETNS is not set; CNI_IFNAME is not set$/,
        },
        // Container ids.
        ...([
          ["too long", "c".repeat(256), /CNI_CONTAINERID is 256 characters long, more than 255/],
          ["with /", "a/b", /CNI_CONTAINERID "a\/b"/],
          ["..", "..", /CNI_CONTAINERID "\.\."/],
          ["with ../", "../../etc", /CNI_CONTAINERID "\.\.\/\.\.\/etc"/],
          ["with a space", "a b", /CNI_CONTAINERID "a b"/],
          ["with a double quote", 'a"b', /CNI_CONTAINERID "a\\"b"/],
          ["with a single quote", "a'b", /CNI_CONTAINERID "a'b"/],
          ["with ;", "a;reboot", /CNI_CONTAINERID "a;reboot"/],
          ["with $(…)", SUBST, /CNI_CONTAINERID "\$\(touch/],
          ["with a newline", "a\nb", /CNI_CONTAINERID "a\\nb"/],
          ["non-ASCII", "contäiner", /CNI_CONTAINERID "contäiner"/],
          ["starting with -", "-rf", /CNI_CONTAINERID "-rf"/],
        ] as const).map(([what, id, msg]) => ({
          name: `ADD with a container id ${what}`,
          env: { CNI_CONTAINERID: id },
          code: 4,
          msg,
        })),
        {
          name: "DEL with a container id with $(…)",
          command: "DEL",
          env: { CNI_CONTAINERID: SUBST },
          code: 4,
          msg: /CNI_CONTAINERID "\$\(touch/,
        },
        // Interface names.
        ...([
          [
            "too long",
            "eth0123456789012",
            /CNI_IFNAME "eth0123456789012" is not a valid interface name/,
          ],
          ["with /", "eth0/1", /CNI_IFNAME "eth0\/1"/],
          ["..", "..", /CNI_IFNAME "\.\."/],
          ["with a space", "eth 0", /CNI_IFNAME "eth 0"/],
          ["with a quote", 'eth"0', /CNI_IFNAME "eth\\"0"/],
          ["with ;", "e;reboot", /CNI_IFNAME "e;reboot"/],
          ["with $(…)", "$(reboot)", /CNI_IFNAME "\$\(reboot\)"/],
          ["with a newline", "eth0\nlo", /CNI_IFNAME "eth0\\nlo"/],
          ["non-ASCII", "ethü", /CNI_IFNAME "ethü"/],
          ["with :", "eth0:1", /CNI_IFNAME "eth0:1"/],
        ] as const).map(([what, ifname, msg]) => ({
          name: `ADD with an interface name ${what}`,
          env: { CNI_IFNAME: ifname },
          code: 4,
          msg,
        })),
        {
          name: "DEL with an interface name with ;",
          command: "DEL",
          env: { CNI_IFNAME: "e;reboot" },
          code: 4,
          msg: /CNI_IFNAME "e;reboot"/,
        },
        // The namespace.
        {
          name: "CNI_NETNS a regular file",
          env: { CNI_NETNS: file },
          code: 4,
          msg: /CNI_NETNS ".*not-a-namespace" is not a network namespace/,
        },
        {
          name: "CNI_NETNS a directory",
          env: { CNI_NETNS: dir },
          code: 4,
          msg: /CNI_NETNS ".*a-directory" is a directory/,
        },
        {
          name: "CNI_NETNS dangling",
          env: { CNI_NETNS: `${sb.dir}/gone/ns` },
          code: 4,
          msg: /CNI_NETNS ".*gone\/ns" does not exist/,
        },
        {
          name: "CNI_NETNS relative",
          env: { CNI_NETNS: "netns-1" },
          code: 4,
          msg: /CNI_NETNS "netns-1" is not an absolute path/,
        },
        {
          name: "CNI_NETNS the host's own namespace",
          env: { CNI_NETNS: "/proc/self/ns/net" },
          code: 4,
          msg: /CNI_NETNS "\/proc\/self\/ns\/net" is this host's own network namespace/,
        },
        {
          name: "CNI_NETNS a mount namespace",
          env: { CNI_NETNS: "/proc/self/ns/mnt" },
          code: 4,
          msg: /CNI_NETNS \S*mnt\S* is not a network namespace/,
        },
        {
          name: "CHECK with CNI_NETNS a regular file",
          command: "CHECK",
          env: { CNI_NETNS: file },
          code: 4,
          msg: /is not a network namespace/,
        },
        // stdin.
        { name: "empty stdin", stdin: "", code: 6, msg: /not valid JSON/ },
        { name: "blank stdin", stdin: " \n\t", code: 6, msg: /not valid JSON/ },
        { name: "not JSON", stdin: "{name: ovn}", code: 6, msg: /not valid JSON/ },
        {
          name: "truncated JSON",
          stdin: stdinOf({ name: "", code: 0 }).slice(0, 40),
          code: 6,
          msg: /not valid JSON/,
        },
        {
          name: "a JSON array",
          stdin: JSON.stringify([config]),
          code: 6,
          msg: /must be a JSON object/,
        },
        { name: "JSON null", stdin: "null", code: 6, msg: /must be a JSON object/ },
        { name: "a JSON string", stdin: '"ovn"', code: 6, msg: /must be a JSON object/ },
        {
          name: "deeply nested JSON",
          stdin: "[".repeat(100_000) + "]".repeat(100_000),
          code: 6,
          msg: /must be a JSON object/,
        },
        {
          name: "10 MB of configuration",
          conf: { padding: "x".repeat(10 * 1024 * 1024) },
          code: 7,
          msg: /network configuration on stdin is \d+ characters long, more than 1048576/,
        },
        // The configuration: its version, what is missing, and a wrong type for every key.
        {
          name: "unsupported cniVersion",
          conf: { cniVersion: "9.9.9" },
          code: 1,
          msg: /unsupported cniVersion "9\.9\.9"/,
        },
        {
          name: "cniVersion a number",
          conf: { cniVersion: 1.0 },
          code: 7,
          msg: /"cniVersion" must be a string/,
        },
        {
          name: "CHECK in 0.3.1",
          command: "CHECK",
          conf: { cniVersion: "0.3.1" },
          code: 1,
          msg: /CHECK needs cniVersion 0\.4\.0/,
        },
        {
          name: "a logical switch that does not exist",
          conf: { logicalSwitch: "mesos-elsewhere" },
          code: 100,
          msg: /logical switch mesos-elsewhere does not exist: run node-init on this host/,
        },
        { name: "no subnet", conf: { subnet: undefined }, code: 7, msg: /"subnet" is missing/ },
        {
          name: "no logicalSwitch",
          conf: { logicalSwitch: undefined },
          code: 7,
          msg: /"logicalSwitch" is missing/,
        },
        { name: "no name", conf: { name: undefined }, code: 7, msg: /"name" is missing/ },
        ...([
          ["name", 5],
          ["type", ["ovn-mesos-plugin"]],
          ["logicalSwitch", { name: "mesos-hv1" }],
          ["subnet", 172],
          ["gateway", true],
          ["clusterSubnet", ["172.16.0.0/16"]],
          ["hostId", 1],
          ["nbRemote", { unix: "/x" }],
          ["ovsDb", 6640],
          ["ovnRundir", false],
          ["logFile", ["/tmp/log"]],
          ["runDir", {}],
        ] as const).map(([key, value]) => ({
          name: `"${key}" of the wrong type`,
          conf: { [key]: value },
          code: 7,
          msg: new RegExp(`"${key}" must be a string`),
        })),
        ...([
          ["mtu", "1400", /"mtu" must be a positive number of bytes/],
          ["mtu", 1400.5, /"mtu" must be a whole number/],
          ["bindTimeoutSeconds", "20", /"bindTimeoutSeconds" must be a positive number of seconds/],
          ["bindTimeoutSeconds", 1e300, /"bindTimeoutSeconds" .* at most 3600/],
          ["dbTimeoutSeconds", -1, /"dbTimeoutSeconds" must be a positive number/],
          ["txChecksumOffload", "no", /"txChecksumOffload" must be true or false/],
          ["dns", "8.8.8.8", /"dns" must be an object/],
          ["dns", { nameservers: "8.8.8.8" }, /"dns\.nameservers" must be a list of IP addresses/],
          ["dns", { nameservers: ["1.1.1.1\nnameserver 6.6.6.6"] }, /"dns\.nameservers"/],
          ["dns", { search: ["a b"] }, /"dns\.search" must be a list of plain words/],
          ["dns", { domain: 5 }, /"dns\.domain"/],
          [
            "cni.dev/valid-attachments",
            { c1: "eth0" },
            /"cni\.dev\/valid-attachments" must be a list/,
          ],
        ] as const).map(([key, value, msg]) => ({
          name: `"${key}" ${JSON.stringify(value).slice(0, 40)}`,
          conf: { [key]: value },
          code: 7,
          msg,
        })),
        {
          name: "valid attachments of the wrong shape (GC)",
          command: "GC",
          conf: { "cni.dev/valid-attachments": [{ containerID: 1, ifname: null }] },
          code: 7,
          msg: /"cni\.dev\/valid-attachments"\[0\] must be an object/,
        },
        // Bad values of the right type.
        {
          name: "a network name with /",
          conf: { name: "../ovn" },
          code: 7,
          msg: /"name" "\.\.\/ovn" has characters/,
        },
        {
          name: "a host id with quotes",
          conf: { hostId: 'h"; rm -rf /' },
          code: 7,
          msg: /"hostId" "h\\"; rm -rf \/" has characters/,
        },
        {
          name: "a switch name with a space",
          conf: { logicalSwitch: "mesos hv1" },
          code: 7,
          msg: /"logicalSwitch" "mesos hv1"/,
        },
        {
          name: "a subnet that is not a CIDR",
          conf: { subnet: "172.16.1.0/33" },
          code: 7,
          msg: /"subnet" is not an IPv4 CIDR/,
        },
        {
          name: "a gateway outside the subnet",
          conf: { gateway: "10.0.0.1" },
          code: 7,
          msg: /"gateway" 10\.0\.0\.1 is not a host address of "subnet"/,
        },
        {
          name: "the subnet's network address as gateway",
          conf: { gateway: "172.16.1.0" },
          code: 7,
          msg: /"gateway" 172\.16\.1\.0 is not a host address/,
        },
        {
          name: "a cluster subnet that is not a CIDR",
          conf: { clusterSubnet: "everything" },
          code: 7,
          msg: /"clusterSubnet" is not an IPv4 CIDR/,
        },
        {
          name: "an NB remote with a space",
          conf: { nbRemote: "tcp: 1.2.3.4:1" },
          code: 7,
          msg: /"nbRemote": "tcp: 1\.2\.3\.4:1" is not a database remote/,
        },
        {
          name: "an OVS remote that is garbage",
          conf: { ovsDb: "tcp:x" },
          code: 7,
          msg: /"ovsDb": "tcp:x" is not a database remote/,
        },
        {
          name: "ssl: without the PKI files",
          conf: { nbRemote: "ssl:127.0.0.1:6641" },
          code: 7,
          msg: /"nbPrivateKey" is missing; "nbCertificate" is missing; "nbCaCert" is missing/,
        },
        {
          name: "ssl: with key files that are not there",
          conf: {
            nbRemote: "ssl:127.0.0.1:6641",
            nbPrivateKey: `${sb.dir}/none-key.pem`,
            nbCertificate: dir,
            nbCaCert: file,
          },
          code: 7,
          msg:
            /"nbPrivateKey" ".*none-key\.pem" is not a file; "nbCertificate" ".*a-directory" is not a file \(needed for ssl:127\.0\.0\.1:6641\)/,
        },
        {
          name: "a relative run directory",
          conf: { runDir: "run" },
          code: 7,
          msg: /"runDir" "run" must be an absolute path/,
        },
        {
          name: "a relative log file",
          conf: { logFile: "plugin.log" },
          code: 7,
          msg: /"logFile" "plugin\.log" must be an absolute path/,
        },
        {
          name: "a run directory with a newline",
          conf: { runDir: "/run/x\ny" },
          code: 7,
          msg: /"runDir" "\/run\/x\\ny" holds control characters/,
        },
        {
          name: "an mtu below IPv4's minimum",
          conf: { mtu: 100 },
          code: 7,
          msg: /"mtu" must be a whole number between 576 and 65535/,
        },
        // Port mappings as Mesos hands them over.
        ...([
          [
            "port 0",
            [{ host_port: 0, container_port: 80 }],
            /port_mappings\[0\]\.host_port 0 is not a port/,
          ],
          [
            "port 70000",
            [{ host_port: 8080, container_port: 70000 }],
            /port_mappings\[0\]\.container_port 70000 is not a port/,
          ],
          [
            "a port as a string",
            [{ host_port: "8080", container_port: 80 }],
            /port_mappings\[0\]\.host_port "8080" is not a port/,
          ],
          [
            "protocol sctp",
            [{ host_port: 8080, container_port: 80, protocol: "sctp" }],
            /port_mappings\[0\]\.protocol "sctp" is not tcp or udp/,
          ],
          [
            "the same host port and protocol twice",
            [{ host_port: 8080, container_port: 80, protocol: "tcp" }, {
              host_port: 8080,
              container_port: 81,
              protocol: "tcp",
            }],
            /host port 8080\/tcp is mapped twice/,
          ],
          ["not a list", { host_port: 8080 }, /port_mappings must be a list/],
        ] as const).map(([what, m, msg]) => ({
          name: `port mappings: ${what}`,
          conf: mapping(m as unknown as Record<string, unknown>[]),
          code: 7,
          msg,
        })),
        // What the plugin does not read must not matter, however odd (and never reaches OVN).
        {
          name: "groups with odd names",
          conf: mesos({
            groups: [
              "a b",
              "'; reboot",
              SUBST,
              "grüppe",
              "../../etc",
              "x\ny",
              "",
              "g".repeat(5000),
            ],
            labels: { labels: [{ key: 'a"b', value: SUBST }] },
          }),
          code: 0,
        },
        {
          name: "groups of the wrong type",
          conf: mesos({ groups: { a: 1 }, labels: "x" }),
          code: 0,
        },
        { name: "args of the wrong type", conf: { args: "org.apache.mesos" }, code: 0 },
        { name: "CNI_ARGS that are garbage", env: { CNI_ARGS: `;;=;K=${SUBST};\n` }, code: 0 },
        {
          name: "DEL of an attachment that never was, without CNI_NETNS",
          command: "DEL",
          env: { CNI_NETNS: undefined },
          code: 0,
        },
      ];

      assert.ok(cases.length >= 40, `${cases.length} cases`);
      const oddNames = ["'; reboot", "grüppe", "touch /tmp/ovn-mesos-hostile-canary"];
      // Every case runs, and every failure is reported at the end (each against the state just
      // before it, so that one failure does not hide the others).
      const failures: string[] = [];
      let state = await snapshot(sb, c, ns);
      assert.deepEqual(state, before);
      const expectUnchanged = async (what: string) => {
        const now = await snapshot(sb, c, ns);
        const gone = state.filter((l) => !now.includes(l));
        const added = now.filter((l) => !state.includes(l));
        if (gone.length || added.length) {
          failures.push(`${what}: changed: -${gone.join("\n-")}\n+${added.join("\n+")}`);
        }
        state = now;
        if (exists(CANARY)) failures.push(`${what}: something ran $(…)`);
        await Deno.remove(CANARY).catch(() => {});
      };
      for (const k of cases) {
        const env = envOf(k);
        const stdin = stdinOf(k);
        const r = await callPlugin(c.host, env, stdin);
        const what = `${k.name}: exit ${r.code}, ${r.stdout.slice(0, 300)} ${
          r.stderr.slice(0, 300)
        }`;
        const problems: string[] = [];
        if (/\n\s+at /.test(r.stdout + r.stderr)) problems.push("a stack trace");
        if (k.code === 0) {
          if (r.code !== 0) problems.push("failed");
        } else {
          if (r.code !== 1) problems.push("exit status not 1");
          if (r.stdout.trim().split("\n").length !== 1) problems.push("not one JSON line");
          if (r.json?.code !== k.code) problems.push(`code ${r.json?.code}, not ${k.code}`);
          if (!k.msg!.test(String(r.json?.msg))) problems.push(`message not ${k.msg}`);
          if (r.stderr.trim().split("\n").length !== 1) problems.push("not one log line");
        }
        if (r.code === 0 && env.CNI_COMMAND === "ADD") {
          const nb = (await dbRows(sb.nbRemote, "OVN_Northbound")).join("\n");
          for (const odd of oddNames) if (nb.includes(odd)) problems.push(`${odd} in NB`);
          const del = await callPlugin(c.host, { ...env, CNI_COMMAND: "DEL" }, stdin);
          if (del.code !== 0) problems.push(`DEL failed: ${del.stdout}`);
        }
        if (problems.length) failures.push(`${what}: ${problems.join(", ")}`);
        await expectUnchanged(k.name);
      }
      // The log file holds one line per call, whatever the ids held.
      const log = await Deno.readTextFile(String(config.logFile));
      for (const line of log.trim().split("\n")) {
        if (!/^\d{4}-\d\d-\d\dT\S+ ovn-mesos-plugin\[\d+\] /.test(line)) {
          failures.push(`the log file holds a line that is not one: ${line}`);
        }
      }

      // The driver: every flag's bad forms.
      const init = nodeInitArgs(sb, 0);
      const withFlag = (flag: string, value: string) => [
        ...init.filter((a) => !a.startsWith(`--${flag}=`)),
        `--${flag}=${value}`,
      ];
      const gw = [
        "gateway-init",
        "--cluster_subnet=172.16.0.0/16",
        "--eth1_ip=203.0.113.5/24",
        "--eth1_gw_ip=203.0.113.1",
      ];
      const gwWith = (flag: string, value: string) => [
        ...gw.filter((a) => !a.startsWith(`--${flag}=`)),
        `--${flag}=${value}`,
      ];
      const driverCases: DriverCase[] = [
        // node-init: CIDRs and addresses.
        ...[
          "172.16.1.0/33",
          "172.16.1.0",
          "172.16.1/24",
          "a.b.c.d/24",
          "172.16.256.0/24",
          "-1.0.0.0/8",
          "172.16.1.0/24;reboot",
        ]
          .map((v): DriverCase => ({ args: withFlag("subnet", v), exit: 2, msg: /--subnet/ })),
        {
          args: withFlag("subnet", "172.16.1.7/24"),
          exit: 2,
          msg: /--subnet=172\.16\.1\.7\/24 has host bits set/,
        },
        {
          args: withFlag("subnet", "10.0.0.0/24"),
          exit: 2,
          msg: /--subnet=10\.0\.0\.0\/24 is not inside --cluster_subnet/,
        },
        ...["172.16.0.0/40", "172.16.0.0", "x"].map((v): DriverCase => ({
          args: withFlag("cluster_subnet", v),
          exit: 2,
          msg: /--cluster_subnet/,
        })),
        ...[
          "x",
          "172.16.1.0/24",
          "172.16.1.255/24",
          "172.16.2.1/24",
          "172.16.1.1/33",
          '172.16.1.1"',
        ].map((v): DriverCase => ({
          args: withFlag("gateway", v),
          exit: 2,
          msg: /--gateway/,
        })),
        // node-init: directories and files.
        {
          args: withFlag("config_dir", "cni"),
          exit: 2,
          msg: /--config_dir=cni must be an absolute path/,
        },
        { args: withFlag("config_dir", file), exit: 2, msg: /--config_dir=\S+ is not a directory/ },
        {
          args: [...init, `--plugins_dir=${file}`],
          exit: 2,
          msg: /--plugins_dir=\S+ is not a directory/,
        },
        {
          args: [...init, "--plugins_dir=bin"],
          exit: 2,
          msg: /--plugins_dir=bin must be an absolute path/,
        },
        {
          args: withFlag("run_dir", "run"),
          exit: 2,
          msg: /--run_dir=run must be an absolute path/,
        },
        { args: withFlag("run_dir", file), exit: 2, msg: /--run_dir=\S+ is not a directory/ },
        {
          args: withFlag("log-file", "plugin.log"),
          exit: 2,
          msg: /--log_file=plugin\.log must be an absolute path/,
        },
        { args: withFlag("log-file", dir), exit: 2, msg: /--log-file=\S+ is a directory/ },
        // node-init: names and numbers.
        ...["a b", 'a"b', "a'b", "../ovn", "a;b", "$(reboot)", "ovn\n"].map((v): DriverCase => ({
          args: [...init, `--network_name=${v}`],
          exit: 2,
          msg: /--network_name/,
        })),
        ...["1e3", "0x400", "-1", "abc", "1400.5", "9000"].map((v): DriverCase => ({
          args: [...init, `--mtu=${v}`],
          exit: 2,
          msg: /--mtu/,
        })),
        ...["0", "-5", "1e300", "abc", "99999"].map((v): DriverCase => ({
          args: withFlag("bind-timeout", v),
          exit: 2,
          msg: /--bind[-_]timeout/,
        })),
        ...["1.2.3.4,x", "1.2.3.4;reboot", "8.8.8.8 8.8.4.4", "::1x"].map((v): DriverCase => ({
          args: [...init, `--dns_nameservers=${v}`],
          exit: 2,
          msg: /--dns_nameservers/,
        })),
        // Options every subcommand takes.
        ...[
          "tcp:x",
          "tcp: 1.2.3.4:1",
          "tcp:1.2.3.4",
          "udp:1.2.3.4:1",
          "unix:",
          "1.2.3.4:6641",
          "tcp:1.2.3.4:99999",
        ]
          .map((v): DriverCase => ({ args: [...init, `--db=${v}`], exit: 2, msg: /--db/ })),
        {
          args: [...init, "--db=ssl:127.0.0.1:1", `--private-key=${dir}`],
          exit: 2,
          msg: /--private-key=\S+ is a directory/,
        },
        {
          args: [...init, "--db=ssl:127.0.0.1:1", `--private-key=${sb.dir}/none.pem`],
          exit: 1,
          msg: /--private-key=\S+none\.pem: no such file/,
        },
        ...["0", "-1", "1e300", "abc", "10s"].map((v): DriverCase => ({
          args: [...init, `--timeout=${v}`],
          exit: 2,
          msg: /--timeout/,
        })),
        { args: [...init, "--subnet"], exit: 2, msg: /option "--subnet" needs a value/ },
        { args: [...init, "--json=yes"], exit: 2, msg: /option "--json" takes no value/ },
        {
          args: [...init, "--sbunet=172.16.1.0/24"],
          exit: 2,
          msg: /unknown option "--sbunet" \(did you mean --subnet\?\)/,
        },
        { args: [...init, "stray"], exit: 2, msg: /unexpected argument "stray"/ },
        {
          args: ["node-init"],
          exit: 2,
          msg: /--subnet, --cluster_subnet, --gateway and --config_dir are required/,
        },
        // gateway-init.
        ...["203.0.113.5", "203.0.113.5/33", "x/24", "172.16.9.9/24"].map((v): DriverCase => ({
          args: gwWith("eth1_ip", v),
          exit: 2,
          msg: /--eth1_ip/,
        })),
        ...["x", "198.51.100.1", "203.0.113.5", "203.0.113.1/33"].map((v): DriverCase => ({
          args: gwWith("eth1_gw_ip", v),
          exit: 2,
          msg: /--eth1_gw_ip/,
        })),
        ...["a b", 'eth"1', "../eth1", "eth1;reboot", "averyveryverylongname"].map((
          v,
        ): DriverCase => ({
          args: [...gw, `--interface=${v}`],
          exit: 2,
          msg: /--interface/,
        })),
        { args: gwWith("cluster_subnet", "172.16.0.0/99"), exit: 2, msg: /--cluster_subnet/ },
        // node-remove and gc: names that would reach files or OVN.
        ...['hv1"', "hv 1", "../hv1", "h".repeat(64)].map((v): DriverCase => ({
          args: ["node-remove", `--host=${v}`],
          exit: 2,
          msg: /--host/,
        })),
        {
          args: ["node-remove", `--config_dir=${c.configDir}`, "--network_name=../../etc/passwd"],
          exit: 2,
          msg: /--network_name=\.\.\/\.\.\/etc\/passwd may only hold/,
        },
        {
          args: ["node-remove", "--config_dir=cni"],
          exit: 2,
          msg: /--config_dir=cni must be an absolute path/,
        },
        {
          args: ["gc", `--config_dir=${file}`],
          exit: 2,
          msg: /--config_dir=\S+ is not a directory/,
        },
        {
          args: ["gc", `--config_dir=${c.configDir}`, "--network_name=../x"],
          exit: 2,
          msg: /--network_name/,
        },
        { args: ["status", "--db=tcp:x"], exit: 2, msg: /--db: "tcp:x" is not a database remote/ },
      ];
      assert.ok(driverCases.length >= 40, `${driverCases.length} driver cases`);
      for (const k of driverCases) {
        const r = await driver(sb, c.host, k.args);
        const what = `${JSON.stringify(k.args.slice(0, 2))}…: exit ${r.code}: ${r.stderr.trim()}`;
        const problems: string[] = [];
        if (r.code !== k.exit) problems.push(`exit status not ${k.exit}`);
        if (!k.msg.test(r.stderr)) problems.push(`message not ${k.msg}`);
        if (r.stderr.trim().split("\n").length !== 1) problems.push("not one line");
        if (/\n\s+at /.test(r.stderr)) problems.push("a stack trace");
        if (problems.length) {
          failures.push(`driver ${k.args.join(" ")}: ${what}: ${problems.join(", ")}`);
        }
        await expectUnchanged(`driver ${k.args.join(" ")}`);
      }
      assert.deepEqual(
        failures,
        [],
        `${failures.length} of ${cases.length + driverCases.length} cases failed`,
      );
    }),
);
