import assert from "node:assert/strict";
import { run } from "../exec.ts";
import { disableTxChecksum } from "./ethtool.ts";

Deno.test("disableTxChecksum() turns off tx checksumming inside another namespace", async () => {
  const dir = await Deno.makeTempDir();
  const ns = `${dir}/ns`;
  const veth = `ovmt${Deno.pid % 100000}`;
  await Deno.writeTextFile(ns, "");
  try {
    await run(["unshare", `--net=${ns}`, "true"]);
    await run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    const txState = async () =>
      (await run(["nsenter", `--net=${ns}`, "ethtool", "-k", "eth0"])).stdout.match(
        /^tx-checksumming: (\w+)/m,
      )
        ?.[1];
    assert.equal(await txState(), "on");
    disableTxChecksum(ns, "eth0");
    assert.equal(await txState(), "off");
    assert.throws(() => disableTxChecksum(ns, "nope0"), /ethtool request on nope0/);
    assert.throws(
      () => disableTxChecksum(`${dir}/missing`, "eth0"),
      /cannot open network namespace/,
    );
  } finally {
    await run(["ip", "link", "del", veth], { allowFailure: true });
    await run(["umount", ns], { allowFailure: true });
    await Deno.remove(dir, { recursive: true });
  }
});
