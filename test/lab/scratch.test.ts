import { execSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { expect, it } from "vitest";
import { startLab } from "./lab.js";
import { runPod } from "./pods.js";

it("scratch", async () => {
  const lab = await startLab({ nodes: 1 });
  let paths: string[] = [];
  try {
    await lab.buildAndPush("x/app:1", { runnable: true, salt: "x" });
    await runPod(lab.node("n1"), { name: "p", containers: [{ name: "a", image: lab.ref("x/app:1") }, { name: "b", image: lab.ref("x/app:1"), state: "exited" }] });
    const root = `${lab.dir}/n1/runc/k8s.io`;
    for (const id of readdirSync(root)) {
      const st = JSON.parse(readFileSync(`${root}/${id}/state.json`, "utf8"));
      console.log(id, st.cgroup_paths);
      paths.push(...Object.values(st.cgroup_paths as Record<string, string>));
    }
    console.log(await lab.ctr("n1", "containers", "ls"));
  } finally {
    await lab.stop();
  }
  console.log(paths.filter((p) => existsSync(p)));
  expect(paths.filter((p) => existsSync(p))).toEqual([]);
}, 60_000);
