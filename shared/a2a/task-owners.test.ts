import { describe, expect, it } from "vitest";
import { MemoryKv } from "../store/kv/memory";
import {
  claimingStream,
  MAX_NAMED_TASKS,
  MAX_TASK_ID_CHARS,
  taskIdsOf,
  taskOwners,
  tasksNamedBy,
} from "./task-owners";

describe("taskIdsOf", () => {
  it("reads the task ids of A2A 0.3's and 1.0's answers and stream events", () => {
    expect(taskIdsOf({ kind: "task", id: "t1", status: {} })).toEqual(["t1"]);
    expect(taskIdsOf({ kind: "status-update", taskId: "t2" })).toEqual(["t2"]);
    expect(taskIdsOf({ kind: "message", messageId: "m", taskId: "t3" })).toEqual(["t3"]);
    expect(taskIdsOf({ task: { id: "t4", status: {} } })).toEqual(["t4"]);
    expect(taskIdsOf({ statusUpdate: { taskId: "t5" } })).toEqual(["t5"]);
    expect(taskIdsOf({ artifactUpdate: { taskId: "t6" } })).toEqual(["t6"]);
    expect(taskIdsOf({ message: { messageId: "m" } })).toEqual([]);
    // A message's own id is not a task's.
    expect(taskIdsOf({ kind: "message", id: "not-a-task" })).toEqual([]);
    expect(taskIdsOf(null)).toEqual([]);
  });
});

describe("tasksNamedBy", () => {
  it("names the task of the task methods (an id that is not a string names none that exists) and of a continuing message", () => {
    expect(tasksNamedBy("tasks/get", { id: "t1" })).toEqual(["t1"]);
    expect(tasksNamedBy("CancelTask", { id: 42 })).toEqual([""]);
    expect(tasksNamedBy("GetTask", undefined)).toEqual([""]);
    expect(tasksNamedBy("message/send", { message: { taskId: "t2" } })).toEqual(["t2"]);
    expect(tasksNamedBy("SendMessage", { message: { taskId: "" } })).toEqual([]);
    expect(tasksNamedBy("message/send", { message: {} })).toEqual([]);
  });

  it("names every task an agent's parser would read: snake_case, a non-string id, and referenced tasks", () => {
    // @a2a-js/sdk's Message.fromJSON reads task_id when taskId is absent, and String(["t"]) is "t".
    expect(tasksNamedBy("SendMessage", { message: { task_id: "theirs" } })).toEqual(["theirs"]);
    expect(tasksNamedBy("SendMessage", { message: { taskId: ["theirs"] } })).toEqual([""]);
    expect(tasksNamedBy("SendMessage", { request: { taskId: "theirs" } })).toEqual(["theirs"]);
    // A referenced task's whole history is handed to the agent's executor.
    expect(tasksNamedBy("message/send", { message: { referenceTaskIds: ["mine", "theirs"] } })).toEqual([
      "mine",
      "theirs",
    ]);
    expect(tasksNamedBy("SendMessage", { message: { reference_task_ids: ["theirs"] } })).toEqual(["theirs"]);
    expect(tasksNamedBy("message/send", { message: { referenceTaskIds: "theirs" } })).toEqual([""]);
    expect(tasksNamedBy("message/send", { message: { referenceTaskIds: [7] } })).toEqual([""]);
    const many = Array.from({ length: MAX_NAMED_TASKS + 1 }, (_, i) => `t${i}`);
    expect(tasksNamedBy("message/send", { message: { referenceTaskIds: many } })).toEqual([""]);
    expect(tasksNamedBy("tasks/get", { id: "x".repeat(MAX_TASK_ID_CHARS + 1) })).toEqual([""]);
  });
});

describe("taskOwners", () => {
  it("gives a task to the first caller an answer carried it to, and to no one else", async () => {
    const owners = taskOwners(new MemoryKv());
    expect(await owners.claim("echo", { kind: "task", id: "t1" }, "key.a")).toBe(true);
    expect(await owners.claim("echo", { kind: "task", id: "t1" }, "key.a")).toBe(true);
    expect(await owners.claim("echo", { statusUpdate: { taskId: "t1" } }, "key.b")).toBe(false);
    expect(await owners.owns("echo", "t1", "key.a")).toBe(true);
    expect(await owners.owns("echo", "t1", "key.b")).toBe(false);
    expect(await owners.owns("other-agent", "t1", "key.a")).toBe(false);
    expect(await owners.owns("echo", "", "key.a")).toBe(false);
  });
});

describe("claimingStream", () => {
  const sse = (...events: unknown[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const event of events)
          controller.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(event)}\n\n`));
        controller.close();
      },
    });

  it("passes each event once its tasks are the caller's, and ends the stream at another caller's task", async () => {
    const owners = taskOwners(new MemoryKv());
    await owners.claim("echo", { kind: "task", id: "theirs" }, "key.b");
    const claimed: string[] = [];
    const stream = claimingStream(
      sse(
        { jsonrpc: "2.0", id: 1, result: { kind: "task", id: "mine" } },
        { jsonrpc: "2.0", id: 1, result: { kind: "status-update", taskId: "theirs" } },
      ),
      async (result) => {
        const ok = await owners.claim("echo", result, "key.a");
        if (ok) claimed.push(JSON.stringify(result));
        return ok;
      },
    );
    const reader = stream.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"mine"');
    expect(await owners.owns("echo", "mine", "key.a")).toBe(true);
    await expect(reader.read()).rejects.toThrow(/another caller's task/);
    expect(claimed).toHaveLength(1);
  });
});
