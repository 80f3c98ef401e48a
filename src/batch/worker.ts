// A batch worker thread: thins the models it is sent, one at a time.
import { parentPort } from "node:worker_threads";
import { runJob, type BatchJob } from "./job.js";

parentPort!.on("message", async (job: BatchJob) => {
  parentPort!.postMessage(await runJob(job));
});
