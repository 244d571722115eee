/**
 * Chaos for the local stack: the REST server's and the QStash dev server's fault switches turned on,
 * and worker processes killed (SIGKILL, then restarted) at random moments while they drain, so that
 * a test or a soak can show that nothing is lost. Dev only; nothing here is ever deployed.
 */
import { createHash } from "node:crypto";
import { mixSeed, seededRandom } from "../functions/seeded-random";
import { settleScript } from "../src/queue/scripts/settle";
import type { DeliveryFaults, DeliveryStats } from "./qstash/index";
import type { RedisCommand } from "./rest-server/commands";
import { lostAnswers, randomFaults, type FaultKind, type FaultRates } from "./rest-server/faults";
import type { Stack } from "./stack";

export interface ChaosPlan {
  /** Share of REST requests failing in each way (see dev/rest-server/faults.ts). */
  rest: FaultRates;
  /** Pushes delivered twice, or late and so out of order. */
  qstash: DeliveryFaults;
  /**
   * Worker process kills per push delivery: a kill ends every invocation the process is running,
   * mid-batch, with no chance to settle or hand its tasks back.
   */
  killsPerDelivery: number;
  /**
   * Settle calls that complete tasks whose answer is lost after Redis applied them (the first N): the
   * client sends the call again and meets its own settled tasks, a stale settle the fencing must
   * refuse. The random faults cause these too, but not in every run.
   */
  lostSettleAnswers?: number;
  /** Seed of the random draws (faults and kill times), so a failing run can be replayed. */
  seed?: number;
}

/** What was injected while the chaos ran. */
export interface ChaosReport {
  restRequests: number;
  restFaults: Record<FaultKind, number>;
  deliveries: number;
  duplicatedDeliveries: number;
  delayedDeliveries: number;
  workerKills: number;
  /** Settle answers lost as planned (ChaosPlan.lostSettleAnswers). */
  lostSettleAnswers: number;
  /**
   * Settles the queue core refused as stale (a lease taken over, or a settle sent again after its
   * answer was lost), summed from the push invocations' reports: the fencing at work.
   */
  staleSettles: number;
}

export interface Chaos {
  /** Counters so far. */
  report(): ChaosReport;
  /** Turns every fault off, waits for a restart in progress, and returns the final counters. */
  stop(): Promise<ChaosReport>;
}

const KILL_CHECK_MS = 250;

/** The `stale` count of a push invocation's report (POST /v1/work's answer); 0 for any other answer. */
function staleIn(bodyBase64: string | undefined): number {
  if (!bodyBase64) return 0;
  try {
    const report = JSON.parse(Buffer.from(bodyBase64, "base64").toString("utf8")) as { stale?: unknown };
    return typeof report.stale === "number" ? report.stale : 0;
  } catch {
    return 0;
  }
}

/** Matches an EVALSHA of the settle script with completions (its ARGV[5] > 0; settle.ts's contract). */
function completesTasks(): (command: RedisCommand) => boolean {
  const sha = createHash("sha1").update(settleScript.source).digest("hex");
  return ({ name, args }) => {
    if (name !== "EVALSHA" || String(args[0]) !== sha) return false;
    const keyCount = Number(args[1]);
    return Number(args[2 + keyCount + 4]) > 0;
  };
}

export function unleashChaos(stack: Stack, plan: ChaosPlan): Chaos {
  const seed = plan.seed ?? Date.now();
  const random = seededRandom(mixSeed(seed));
  const restAtStart = stack.rest.stats();
  const qstashAtStart = stack.qstash.stats();
  let staleSettles = 0;
  const lost = lostAnswers(completesTasks(), plan.lostSettleAnswers ?? 0);
  stack.rest.setFaults(randomFaults(plan.rest, random), lost);
  stack.qstash.setFaults({
    ...plan.qstash,
    // A stream of its own: the deliveries' draws do not shift the kills'.
    random: seededRandom(mixSeed(seed, 1)),
    watch: (_message, outcome) => (staleSettles += staleIn(outcome.ok ? outcome.bodyBase64 : undefined)),
  });

  let workerKills = 0;
  let restarting: Promise<void> | undefined;
  let restartFailure: unknown;
  const report = (): ChaosReport => {
    const rest = stack.rest.stats();
    const qstash = stack.qstash.stats();
    const restFaults = { ...rest.faults };
    for (const kind of Object.keys(restFaults) as FaultKind[]) restFaults[kind] -= restAtStart.faults[kind];
    return {
      restRequests: rest.requests - restAtStart.requests,
      restFaults,
      deliveries: qstash.attempts - qstashAtStart.attempts,
      duplicatedDeliveries: qstash.duplicated - qstashAtStart.duplicated,
      delayedDeliveries: qstash.delayed - qstashAtStart.delayed,
      workerKills,
      lostSettleAnswers: (plan.lostSettleAnswers ?? 0) - lost.left(),
      staleSettles,
    };
  };
  // Kills keep pace with the deliveries: one is due whenever kills fall behind the planned share,
  // and it strikes at a random later check so that it lands at an arbitrary point of a batch.
  const timer = setInterval(() => {
    if (restarting || restartFailure) return;
    const due = Math.floor(report().deliveries * plan.killsPerDelivery) > workerKills;
    if (!due || random() < 0.5) return;
    workerKills++;
    const index = Math.floor(random() * stack.workers.length);
    restarting = stack
      .restartWorker(index)
      .catch((error: unknown) => void (restartFailure ??= error))
      .finally(() => (restarting = undefined));
  }, KILL_CHECK_MS);

  return {
    report,
    async stop() {
      clearInterval(timer);
      stack.rest.setFaults(undefined);
      stack.qstash.setFaults({});
      await restarting;
      if (restartFailure) throw restartFailure;
      return report();
    },
  };
}
