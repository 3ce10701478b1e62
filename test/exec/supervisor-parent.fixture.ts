/**
 * A stand-in for `spire run -f`: starts a supervisor child, launches one
 * long task, prints {"supervisor":pid,"task":pid,"logFile":…} and waits to be
 * killed. The test SIGKILLs it and checks that nothing it started survives.
 *   node supervisor-parent.fixture.js <dir>
 */
import { join } from "node:path";
import { SupervisorExecutor } from "../../src/exec/supervisor/client.js";
import { specFor } from "./fixtures.js";

const dir = process.argv[2]!;
const supervisor = await SupervisorExecutor.startChild();
const spec = specFor(dir, ["sleep", "30"], { logFile: join(dir, "parent-task.log") });
supervisor.launch(spec, {
  onStart: (pid) => process.stdout.write(`${JSON.stringify({ supervisor: supervisor.pid, task: pid, logFile: spec.logFile })}\n`),
});
