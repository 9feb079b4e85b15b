/**
 * The files ovn-mesos writes, with an ssl: Northbound: the CNI configuration
 * (which names the key files), the plugin launcher, the plugin's log, its lock
 * and pending files. Owned by root, never writable by others, the run
 * directory's files private; and no key material in the configuration, the
 * log or any answer, also when the key files are wrong.
 */
import assert from "node:assert/strict";
import { run } from "../testing/run.ts";
import {
  callPlugin,
  DIST,
  driverOk,
  mesosCni,
  mesosIp,
  nodeInitArgs,
  PLUGIN,
} from "../testing/cluster.ts";
import { withSandbox } from "../testing/sandbox_fixture.ts";
import { startSslNb } from "../testing/ssl.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** What would show that key material was written somewhere. */
const KEY_MATERIAL = /PRIVATE KEY|BEGIN [A-Z ]*KEY|BEGIN CERTIFICATE/;

function mode(path: string): number {
  return Deno.statSync(path).mode! & 0o7777;
}

function octal(m: number): string {
  return m.toString(8).padStart(4, "0");
}

Deno.test(
  "file modes: configuration, launcher, log, locks and pending records are root's and not open to others; no key material anywhere",
  opts,
  () =>
    withSandbox({ hosts: 1 }, async (sb) => {
      const ssl = await startSslNb(sb);
      const expect = (ok: boolean, what: string, _pending = false) => {
        if (!ok) assert.fail(what);
      };
      try {
        const [h] = sb.hosts;
        await driverOk(sb, h, ["plugin-init", ...ssl.flags]);
        const plugins = `${sb.dir}/plugins`;
        const init = await driverOk(sb, h, [
          ...nodeInitArgs(sb, 0),
          ...ssl.flags,
          `--plugins_dir=${plugins}`,
        ]);
        const c = {
          host: h,
          init,
          config: JSON.parse(await Deno.readTextFile(init.configFile)),
          configDir: `${sb.dir}/cni-${h.name}`,
        };

        // The configuration names the key files and holds none of them.
        const configText = await Deno.readTextFile(init.configFile);
        assert.equal(c.config.nbPrivateKey, ssl.privateKey);
        assert.doesNotMatch(configText, KEY_MATERIAL);
        assert.equal(Deno.statSync(init.configFile).uid, 0);
        assert.equal(octal(mode(init.configFile)), "0644", "the CNI configuration");
        assert.equal(mode(c.configDir) & 0o022, 0, `${c.configDir} is writable by others`);
        // The launcher the Mesos agent runs (a link, or a script naming the Deno to use).
        const launcher = `${plugins}/ovn-mesos-plugin`;
        const target = await Deno.realPath(launcher);
        for (const p of [launcher, target]) {
          const st = Deno.statSync(p);
          assert.equal(st.uid, 0, `${p} is not root's`);
          assert.equal(st.mode! & 0o022, 0, `${p} is writable by others: ${octal(st.mode!)}`);
        }

        // A container, and failures that involve the key files.
        const ns = await sb.addContainerNetns("m1");
        const replies = [await mesosCni(c, "ADD", "m1", ns)];
        mesosIp(replies[0]);
        const ns2 = await sb.addContainerNetns("m2");
        const wrong = (conf: Record<string, unknown>) =>
          mesosCni(c, "ADD", "m2", ns2, { config: { ...c.config, dbTimeoutSeconds: 2, ...conf } });
        replies.push(await wrong({ nbCaCert: `${sb.dir}/ssl/pki/controllerca/cacert.pem` }));
        replies.push(await wrong({ nbPrivateKey: ssl.certificate, nbCertificate: ssl.privateKey }));
        replies.push(await wrong({ nbCaCert: ssl.privateKey }));
        replies.push(await wrong({ nbPrivateKey: `${sb.dir}/none.pem` }));
        for (const r of replies.slice(1)) assert.notEqual(r.code, 0, r.stdout);
        // A DEL whose NB removal is deferred leaves a pending record.
        const unreachable = {
          ...c.config,
          nbRemote: "unix:/nonexistent/nb.sock",
          dbTimeoutSeconds: 1,
        };
        const del = await callPlugin(h, {
          CNI_COMMAND: "DEL",
          CNI_CONTAINERID: "gone",
          CNI_IFNAME: "eth0",
          CNI_PATH: DIST,
        }, JSON.stringify(unreachable));
        assert.equal(del.code, 0, del.stdout + del.stderr);
        replies.push(del);
        for (const r of replies) {
          assert.doesNotMatch(r.stdout + r.stderr, KEY_MATERIAL, "key material in an answer");
        }

        // The log.
        const log = String(c.config.logFile);
        const logText = await Deno.readTextFile(log);
        assert.match(logText, /ADD m1 eth0: 172\.16\.1\./);
        assert.doesNotMatch(logText, KEY_MATERIAL, "key material in the log");
        assert.equal(Deno.statSync(log).uid, 0);
        assert.ok(
          ["0640", "0644", "0600"].includes(octal(mode(log))),
          `the log is ${octal(mode(log))}`,
        );

        // The run directory: pending records are private.
        const runDir = String(c.config.runDir);
        const pending = `${runDir}/pending`;
        const records = [...Deno.readDirSync(pending)].map((e) => `${pending}/${e.name}`);
        assert.equal(records.length, 1, records.join(" "));
        assert.equal(octal(mode(pending)), "0700", "the pending directory");
        for (const f of records) {
          assert.equal(Deno.statSync(f).uid, 0);
          assert.equal(octal(mode(f)), "0600", f);
        }
        // Lock files: anyone who can open one can flock(2) it, and hold every ADD and DEL of
        // that container for as long as they like. Only root may reach them.
        const locks = `${runDir}/locks`;
        const lockFiles = [...Deno.readDirSync(locks)].map((e) => `${locks}/${e.name}`);
        assert.ok(lockFiles.length >= 1, "the container's lock file");
        expect((mode(locks) & 0o077) === 0, `${locks} is ${octal(mode(locks))}, not 0700`, true);
        for (const f of lockFiles) {
          assert.equal(Deno.statSync(f).uid, 0);
          expect((mode(f) & 0o077) === 0, `${f} is ${octal(mode(f))}, not 0600`, true);
        }

        // Under a runtime whose umask is 0, nothing becomes writable by others.
        const log0 = `${sb.dir}/umask0/plugin.log`;
        const run0 = `${sb.dir}/umask0/run`;
        await Deno.mkdir(`${sb.dir}/umask0`);
        const conf0 = { ...c.config, logFile: log0, runDir: run0 };
        const ns3 = await sb.addContainerNetns("m3");
        const add0 = await run([
          "ip",
          "netns",
          "exec",
          h.netns,
          "sh",
          "-c",
          'umask 000; exec env -i PATH="$0" CNI_COMMAND=ADD CNI_CONTAINERID=m3 CNI_IFNAME=eth0 CNI_NETNS="$1" "$2"',
          Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
          ns3,
          PLUGIN,
        ], { stdin: JSON.stringify(conf0), timeoutMs: 60_000 });
        assert.equal(add0.code, 0, add0.stdout + add0.stderr);
        const made = (await run(["find", `${sb.dir}/umask0`])).stdout.split("\n").filter(Boolean);
        for (const p of made) {
          expect(
            (mode(p) & 0o002) === 0,
            `with umask 000, ${p} is ${octal(mode(p))}: writable by anyone`,
            true,
          );
        }

        // Clean up the containers.
        for (const [id, path, conf] of [["m1", ns, c.config], ["m3", ns3, conf0]] as const) {
          const d = await mesosCni(c, "DEL", id, path, { config: conf });
          assert.equal(d.code, 0, d.stdout + d.stderr);
        }
      } finally {
        await ssl.stop();
      }
    }),
);
