/** Every Lua script edgeq runs: those composed from pieces (compose.ts) and the others, for the tests over all of them. */
import { foldCommitScript, foldTakeScript, jobCreateScript, jobFinishScript } from "../../src/queue/jobs/scripts";
import { cancelScript } from "../../src/queue/scripts/cancel";
import type { ComposedScript } from "../../src/queue/scripts/compose";
import { deadPageScript } from "../../src/queue/scripts/dead-page";
import { deadScript } from "../../src/queue/scripts/dead";
import { enqueueScript } from "../../src/queue/scripts/enqueue";
import { extendScript } from "../../src/queue/scripts/extend";
import type { LuaScript } from "../../src/queue/scripts/runner";
import { settingsScript } from "../../src/queue/scripts/settings";
import { settleScript } from "../../src/queue/scripts/settle";
import { statsScript } from "../../src/queue/scripts/stats";
import { upkeepScript } from "../../src/queue/scripts/upkeep";
import { waitMarkScript } from "../../src/queue/scripts/wait-mark";
import { queueStatsScript } from "../../src/queue/stats/read";
import { registerScript } from "../../src/queue/registry";
import { rateTakeScript } from "../../src/security/rate-limit";
import { scheduleAdvanceScript, schedulePutScript, scheduleRemoveScript } from "../../src/queue/schedules/scripts";

export const QUEUE_SCRIPTS: ComposedScript[] = [
  enqueueScript, settleScript, extendScript, cancelScript, deadScript, upkeepScript,
  statsScript, settingsScript, deadPageScript, queueStatsScript, waitMarkScript,
];
export const OTHER_SCRIPTS: LuaScript[] = [
  jobCreateScript, jobFinishScript, foldTakeScript, foldCommitScript, rateTakeScript,
  schedulePutScript, scheduleAdvanceScript, scheduleRemoveScript, registerScript,
];
