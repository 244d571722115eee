/**
 * A small round-robin pool of ioredis connections that runs commands and hands back raw replies.
 *
 * Commands go through `sendCommand` with no reply encoding, so replies arrive as Buffers, integers and
 * arrays exactly as Redis sent them. A pipeline or a transaction is written to one connection in one
 * synchronous burst: nothing another request sends can land between MULTI and EXEC, and the commands
 * run in order.
 *
 * Writes are corked until the end of the event-loop turn, so the commands of every request that arrived
 * in one turn leave in one socket write per connection: under load that saves most of the syscalls,
 * when idle it adds nothing (the turn ends right away).
 */
import type { Writable } from "node:stream";
import { Command, Redis } from "ioredis";
import type { RedisCommand } from "./commands";
import { isReplyError, type RawReply } from "./reply";

/** A pipeline entry: the reply, or the ReplyError Redis answered with. */
export type Settled = RawReply;

/** What the HTTP side runs commands through: a RedisPool, or a ClusterPool routing by slot. */
export interface CommandRunner {
  ready(): Promise<void>;
  run(command: RedisCommand): Promise<RawReply>;
  pipeline(commands: readonly RedisCommand[]): Promise<Settled[]>;
  transaction(commands: readonly RedisCommand[]): Promise<Settled[]>;
  close(): Promise<void>;
}

/** A transaction that Redis discarded as a whole (a command failed to queue): no command ran. */
export class TransactionAborted extends Error {}

export class RedisPool implements CommandRunner {
  private readonly connections: Redis[];
  private next = 0;
  private readonly corked = new Set<Writable>();
  private flushScheduled = false;

  constructor(redisUrl: string, size: number) {
    this.connections = Array.from({ length: Math.max(1, size) }, () =>
      new Redis(redisUrl, {
        // A request waits out a short redis-server restart (a few reconnect attempts, well under a
        // second) and then fails rather than hang; ioredis keeps reconnecting in the background.
        maxRetriesPerRequest: 4,
        // A command whose reply was lost with the connection may have run: answering with an error
        // (as a dropped HTTP request would) is honest, running it a second time is not.
        autoResendUnfulfilledCommands: false,
        // Local redis-server: a restart takes well under a second, so never back off further than that.
        retryStrategy: (attempt: number) => Math.min(attempt * 50, 500),
        enableAutoPipelining: false,
        lazyConnect: false,
      }),
    );
    for (const connection of this.connections) {
      // Errors reach the waiting requests; without a listener ioredis would print each reconnect attempt.
      connection.on("error", () => {});
    }
  }

  /** Resolves once every connection is ready, or rejects with the first connection error. */
  async ready(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.ping()));
  }

  private pick(): Redis {
    const connection = this.connections[this.next]!;
    this.next = (this.next + 1) % this.connections.length;
    return connection;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    for (const stream of this.corked) stream.uncork();
    this.corked.clear();
  };

  /** Holds this connection's writes until the end of the current event-loop turn. */
  private cork(connection: Redis): void {
    const stream = connection.stream as Writable | undefined;
    if (stream === undefined || this.corked.has(stream)) return;
    stream.cork();
    this.corked.add(stream);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private send(connection: Redis, command: RedisCommand): Promise<RawReply> {
    this.cork(connection);
    const sent = new Command(command.name, command.args, {});
    connection.sendCommand(sent);
    return sent.promise as Promise<RawReply>;
  }

  /** One command; a Redis error reply rejects with ioredis's ReplyError. */
  run(command: RedisCommand): Promise<RawReply> {
    return this.send(this.pick(), command);
  }

  /** Commands in order on one connection; each entry is the reply or the error reply, in place. */
  pipeline(commands: readonly RedisCommand[]): Promise<Settled[]> {
    const connection = this.pick();
    const results = new Array<Settled>(commands.length);
    const pending = new Array<Promise<void>>(commands.length);
    for (let i = 0; i < commands.length; i++) {
      pending[i] = this.send(connection, commands[i]!).then(
        (reply) => void (results[i] = reply),
        (error: Error) => void (results[i] = error),
      );
    }
    return Promise.all(pending).then(() => results);
  }

  /**
   * MULTI, the commands, EXEC. Errors of single commands come back in place (Redis runs the rest);
   * a command that fails to queue aborts the whole transaction with its error.
   */
  async transaction(commands: readonly RedisCommand[]): Promise<Settled[]> {
    const connection = this.pick();
    const queued = new Array<Promise<unknown>>(commands.length);
    this.send(connection, { name: "MULTI", args: [] }).catch(() => {});
    for (let i = 0; i < commands.length; i++) {
      queued[i] = this.send(connection, commands[i]!).catch((error: Error) => error);
    }
    const exec = this.send(connection, { name: "EXEC", args: [] });
    const queueReplies = await Promise.all(queued);
    let replies: RawReply;
    try {
      replies = await exec;
    } catch (error) {
      if (!isReplyError(error)) throw error; // the connection failed: not the request's fault
      // EXECABORT says only "previous errors"; the queueing error says which command and why.
      const failedToQueue = queueReplies.find(isReplyError);
      throw new TransactionAborted(failedToQueue?.message ?? error.message);
    }
    if (!Array.isArray(replies)) throw new TransactionAborted("EXECABORT Transaction discarded");
    return replies;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.connections.map((connection) => connection.quit().catch(() => connection.disconnect())),
    );
  }
}
