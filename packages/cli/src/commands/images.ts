/** `imagedrift images NODE`: one node's image cache, with what uses each image. */

import type { ContainerItem, NodeImageItem } from "@imagedrift/core";
import { formatBytes, shortDigest } from "@imagedrift/core";
import { Option } from "commander";
import type { CollectorClient } from "../client.js";
import { digestOfRepoDigest } from "../format/digest.js";
import { renderOutput } from "../format/output.js";
import { familiarRef, listSome } from "../format/reference.js";
import type { Style } from "../format/style.js";
import { type Column, renderTable } from "../format/table.js";
import { type CommandResult, type DefineCommand, helpEpilogue, type ViewOptions } from "./command.js";

export type ImageFilter = "all" | "in-use" | "unused";

export interface ImagesOptions extends ViewOptions {
  node: string;
  filter: ImageFilter;
}

function imageName(image: NodeImageItem): string {
  return image.repoTags.length === 0 ? "<none>" : image.repoTags.map(familiarRef).join(", ");
}

function usage(image: NodeImageItem, style: Style): string {
  const parts = [image.inUse ? style.green("in use") : style.dim("unused")];
  if (image.pinned) parts.push("pinned");
  return parts.join(", ");
}

function containerLabel(container: ContainerItem): string {
  const who = container.pod === "" ? shortDigest(container.id) : `${container.namespace}/${container.pod}`;
  return container.state === "running" ? who : `${who} (${container.state})`;
}

export function imagesTable(images: readonly NodeImageItem[], options: ImagesOptions): string {
  if (images.length === 0) {
    const which = options.filter === "all" ? "no images" : `no ${options.filter} images`;
    return `Node ${options.node} has ${which}.\n`;
  }
  const rows = [...images].sort((a, b) => imageName(a).localeCompare(imageName(b)) || b.size - a.size);
  const columns: Column<NodeImageItem>[] = [
    { header: "IMAGE", cell: imageName },
    { header: "DIGEST", cell: (i) => shortDigest(i.repoDigests.map(digestOfRepoDigest).find((d) => d !== null)) },
    { header: "IMAGE ID", cell: (i) => shortDigest(i.id) },
    { header: "SIZE", cell: (i) => formatBytes(i.size), align: "right" },
    { header: "STATUS", cell: (i) => usage(i, options.style) },
    { header: "USED BY", cell: (i) => listSome([...new Set(i.containers.map(containerLabel))]) },
  ];
  return renderTable(columns, rows, { headerStyle: options.style.bold });
}

export function filterImages(images: readonly NodeImageItem[], filter: ImageFilter): NodeImageItem[] {
  if (filter === "all") return [...images];
  return images.filter((image) => image.inUse === (filter === "in-use"));
}

export async function imagesCommand(client: CollectorClient, options: ImagesOptions): Promise<CommandResult> {
  const images = filterImages(await client.listNodeImages(options.node), options.filter);
  return { exitCode: 0, output: renderOutput(images, options.output, (items) => imagesTable(items, options)) };
}

export const defineImages: DefineCommand = (program, execute) => {
  program
    .command("images")
    .summary("list the images in one node's cache")
    .description(
      "List the images cached on NODE as its agent last reported them: tags, repo digest, image id, size, whether any container uses it (in any state) or it is pinned, and which pods use it.",
    )
    .argument("<node>", "node name, as `imagedrift nodes` shows it")
    .addOption(new Option("--in-use", "only images some container uses").conflicts("unused"))
    .addOption(new Option("--unused", "only images no container uses (prune candidates)"))
    .addHelpText("after", helpEpilogue(["imagedrift images worker-1", "imagedrift images worker-1 --unused -o yaml"]))
    .action((node: string, flags: { inUse?: boolean; unused?: boolean }) => {
      const filter: ImageFilter = flags.inUse ? "in-use" : flags.unused ? "unused" : "all";
      return execute((client, view) => imagesCommand(client, { ...view, node, filter }));
    });
};
