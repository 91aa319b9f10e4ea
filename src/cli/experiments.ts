/**
 * `mlt experiments create | list | rename | delete | restore | describe` — MLflow's
 * `mlflow experiments` over any store (file, SQLite, or an http(s) server).
 */
import { type Command, InvalidArgumentError } from "commander";
import { MltError, notFound } from "../errors.ts";
import type { Experiment, Tag } from "../model.ts";
import { allPages, type TrackingStore } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import {
  colorOn,
  commaList,
  formatTime,
  parseView,
  positiveInt,
  printJson,
  storeOptions,
  styles,
  table,
  usage,
  withStore,
} from "./output.ts";

interface Flags {
  trackingUri?: string;
  json?: boolean;
  experimentId?: string;
  experimentName?: string;
}

function tagList(value: string, previous: Tag[] = []): Tag[] {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got "${value}"`);
  return [...previous, { key: value.slice(0, at), value: value.slice(at + 1) }];
}

/** The experiment a command names: positional id, --experiment-id or --experiment-name. */
async function findExperiment(
  store: TrackingStore,
  cmd: Command,
  id: string | undefined,
  o: Flags,
): Promise<Experiment> {
  const given = [id, o.experimentId, o.experimentName].filter((x) => x !== undefined);
  if (given.length !== 1) usage(cmd, "name exactly one experiment: an id or --experiment-name");
  if (o.experimentName !== undefined) {
    const exp = await store.getExperimentByName(o.experimentName);
    if (!exp) throw notFound(`No experiment named "${o.experimentName}"`);
    return exp;
  }
  return await store.getExperiment((id ?? o.experimentId)!);
}

function row(e: Experiment, s: ReturnType<typeof styles>): string[] {
  const stage = e.lifecycleStage === "deleted" ? s.red("deleted") : "active";
  return [e.experimentId, e.name, stage, formatTime(e.creationTime), e.artifactLocation];
}

/** Registers `mlt experiments`. */
export function registerExperiments(program: Command, ctx: CliContext): void {
  const group = program.command("experiments")
    .description("create, list, rename, delete, restore and describe experiments")
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 error (unknown id, store or server unreachable), 2 usage error.",
    );

  storeOptions(
    group.command("create")
      .description("create an experiment and print its id")
      .argument("[name]", "experiment name (or --experiment-name)")
      .option("-n, --experiment-name <name>", "experiment name")
      .option("-l, --artifact-location <uri>", "where the experiment's runs store artifacts")
      .option("-t, --tag <key=value>", "an experiment tag (repeatable)", tagList),
  ).action(async (
    name: string | undefined,
    o: Flags & {
      artifactLocation?: string;
      tag?: Tag[];
    },
    cmd: Command,
  ) => {
    const n = name ?? o.experimentName;
    if (n === undefined || (name !== undefined && o.experimentName !== undefined)) {
      usage(cmd, "give the experiment name once: as an argument or with --experiment-name");
    }
    await withStore(ctx, o.trackingUri, async (store) => {
      const id = await store.createExperiment(n, o.artifactLocation, o.tag ?? []);
      if (o.json) printJson({ experimentId: id, name: n });
      else console.log(`Created experiment '${n}' with id ${id}`);
    });
  });

  storeOptions(
    group.command("list").alias("search")
      .description("list experiments (MLflow's search filter and order)")
      .option("--view <view>", "active_only (default), deleted_only or all", parseView)
      .option("--filter <expr>", "filter, e.g. \"name LIKE 'train%'\" or \"tags.team = 'ml'\"")
      .option(
        "--order-by <clause>",
        "order, e.g. 'name ASC' (repeatable or comma-separated)",
        commaList,
      )
      .option("--max-results <n>", "most experiments to list (default: all)", positiveInt),
  ).action(async (
    o: Flags & {
      view?: "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";
      filter?: string;
      orderBy?: string[];
      maxResults?: number;
    },
  ) => {
    await withStore(ctx, o.trackingUri, async (store) => {
      const { items, more } = await allPages((pageToken, maxResults) =>
        store.searchExperiments({
          filter: o.filter,
          viewType: o.view,
          orderBy: o.orderBy,
          maxResults,
          pageToken,
        }), o.maxResults);
      if (o.json) return printJson(items);
      const s = styles(colorOn(ctx));
      console.log(table(
        ["ID", "NAME", "STAGE", "CREATED", "ARTIFACT LOCATION"].map(s.bold),
        items.map((e) => row(e, s)),
      ));
      if (more) console.error(`(more experiments: raise --max-results)`);
    });
  });

  storeOptions(
    group.command("rename")
      .description("rename an active experiment")
      .argument("[id]", "experiment id (or --experiment-id)")
      .argument("[new-name]", "its new name (or --new-name)")
      .option("-x, --experiment-id <id>", "experiment id")
      .option("--new-name <name>", "the new name"),
    false,
  ).action(async (
    id: string | undefined,
    newName: string | undefined,
    o: Flags & {
      newName?: string;
    },
    cmd: Command,
  ) => {
    const name = newName ?? o.newName;
    if (name === undefined) usage(cmd, "give the new name: as an argument or with --new-name");
    await withStore(ctx, o.trackingUri, async (store) => {
      const exp = await findExperiment(store, cmd, id, o);
      await store.renameExperiment(exp.experimentId, name);
      console.log(`Experiment ${exp.experimentId} renamed from '${exp.name}' to '${name}'`);
    });
  });

  for (const verb of ["delete", "restore"] as const) {
    storeOptions(
      group.command(verb)
        .description(
          verb === "delete"
            ? "mark experiments and their runs deleted (`mlt gc` removes them for good)"
            : "restore deleted experiments and their runs",
        )
        .argument("[ids...]", "experiment ids (or --experiment-id)")
        .option(
          "-x, --experiment-id <id>",
          "an experiment id (repeatable or comma-separated)",
          commaList,
        ),
      false,
    ).action(async (ids: string[], o: Flags & { experimentId?: string[] }, cmd: Command) => {
      const all = [...ids, ...(o.experimentId ?? [])];
      if (!all.length) usage(cmd, "name at least one experiment id");
      await withStore(ctx, o.trackingUri, async (store) => {
        // Check every id first, so a typo in the last one leaves the others untouched.
        const want = verb === "delete" ? "active" : "deleted";
        for (const id of all) {
          const exp = await store.getExperiment(id);
          if (exp.lifecycleStage !== want) {
            throw new MltError(
              "INVALID_STATE",
              `Cannot ${verb} experiment ${id} ('${exp.name}'): it is ${exp.lifecycleStage}`,
            );
          }
        }
        for (const id of all) {
          await (verb === "delete" ? store.deleteExperiment(id) : store.restoreExperiment(id));
          console.log(`Experiment with ID ${id} has been ${verb}d.`);
        }
      });
    });
  }

  storeOptions(
    group.command("describe")
      .description("show an experiment: fields, tags and run counts")
      .argument("[id]", "experiment id (or --experiment-id / --experiment-name)")
      .option("-x, --experiment-id <id>", "experiment id")
      .option("-n, --experiment-name <name>", "experiment name"),
  ).action(async (id: string | undefined, o: Flags, cmd: Command) => {
    await withStore(ctx, o.trackingUri, async (store) => {
      const exp = await findExperiment(store, cmd, id, o);
      const count = async (viewType: "ACTIVE_ONLY" | "DELETED_ONLY") =>
        (await allPages((pageToken, maxResults) =>
          store.searchRuns({ experimentIds: [exp.experimentId], viewType, maxResults, pageToken })
        )).items.length;
      const runs = { active: await count("ACTIVE_ONLY"), deleted: await count("DELETED_ONLY") };
      if (o.json) return printJson({ ...exp, runs });
      const s = styles(colorOn(ctx));
      const lines: [string, string][] = [
        ["id", exp.experimentId],
        ["name", exp.name],
        ["stage", exp.lifecycleStage],
        ["artifact location", exp.artifactLocation],
        ["created", formatTime(exp.creationTime)],
        ["last update", formatTime(exp.lastUpdateTime)],
        ["runs", `${runs.active} active, ${runs.deleted} deleted`],
      ];
      for (const [k, v] of lines) console.log(`${s.bold(k.padEnd(18))}${v}`);
      if (exp.tags.length) {
        console.log(s.bold("tags"));
        for (const t of exp.tags) console.log(`  ${t.key} = ${t.value}`);
      }
    });
  });
}
