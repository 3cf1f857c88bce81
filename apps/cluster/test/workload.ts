// A steady chat workload over the real SDK for fault tests: senders send numbered messages
// to one recipient, which consumes its event stream; afterwards `check` proves that every
// acknowledged send was delivered exactly once, in seq order, with no phantom message.
import assert from "node:assert/strict";
import { connect, type ChatClient, type Message } from "@chat-tui/client";

export interface WorkloadReport {
  acked: number;
  failed: number;
  delivered: number;
  /** Longest time between two acknowledgements (the failover gap the clients saw), ms. */
  gapMs: number;
}

export class Workload {
  readonly acked = new Map<string, Message>();
  readonly failures: string[] = [];
  readonly delivered: Message[] = [];
  private running = true;
  private lastAckMs = Date.now();
  private gapMs = 0;
  private readonly loops: Promise<void>[] = [];
  private readonly clients: ChatClient[] = [];
  private readonly abort = new AbortController();
  private consumer: Promise<void> | undefined;

  private constructor(private readonly cluster: string[]) {}

  /** Registers `senders` + 1 users and starts sending and consuming. */
  static async start(cluster: string[], senders: number, tag: string): Promise<Workload> {
    const w = new Workload(cluster);
    const recipient = w.client();
    await recipient.register(`${tag}-rcpt`, "password1");
    w.consumer = (async () => {
      for await (const m of recipient.events({ afterSeq: 0, signal: w.abort.signal })) w.delivered.push(m);
    })().catch((err: unknown) => {
      if (w.running) w.failures.push(`events: ${String(err)}`);
    });
    for (let i = 0; i < senders; i++) {
      const sender = w.client();
      await sender.register(`${tag}-s${i}`, "password1");
      w.loops.push(w.sendLoop(sender, `${tag}-rcpt`, `${tag}-s${i}`));
    }
    return w;
  }

  private client(): ChatClient {
    const c = connect({ cluster: this.cluster, deadlineMs: 15_000 });
    this.clients.push(c);
    return c;
  }

  private async sendLoop(sender: ChatClient, to: string, name: string): Promise<void> {
    for (let i = 0; this.running && i < 10_000; i++) {
      const text = `${name}#${i}`;
      try {
        const message = await sender.send(to, text);
        this.acked.set(text, message);
        const now = Date.now();
        this.gapMs = Math.max(this.gapMs, now - this.lastAckMs);
        this.lastAckMs = now;
      } catch (err) {
        this.failures.push(`${text}: ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Waits until at least `count` more sends were acknowledged. */
  async progress(count: number, timeoutMs = 20_000): Promise<void> {
    const target = this.acked.size + count;
    const deadline = Date.now() + timeoutMs;
    while (this.acked.size < target) {
      if (Date.now() > deadline) throw new Error(`only ${this.acked.size}/${target} acks; failures: ${this.failures.slice(-3).join("; ")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops sending, waits for every ack to be delivered, and checks the history. */
  async stopAndCheck(timeoutMs = 20_000): Promise<WorkloadReport> {
    this.running = false;
    await Promise.all(this.loops);
    const deadline = Date.now() + timeoutMs;
    const ackedSeqs = new Set([...this.acked.values()].map((m) => m.seq));
    while ([...ackedSeqs].some((s) => !this.delivered.some((d) => d.seq === s)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    this.abort.abort();
    for (const c of this.clients) c.close();
    await this.consumer;
    const seqs = this.delivered.map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `delivery out of order or repeated at ${seqs[i]}`);
    const deliveredTexts = new Map(this.delivered.map((m) => [m.text, m]));
    for (const [text, m] of this.acked) {
      const got = deliveredTexts.get(text);
      assert.ok(got, `acknowledged "${text}" (seq ${m.seq}) was never delivered`);
      assert.equal(got.seq, m.seq, `"${text}" delivered with another seq`);
    }
    for (const m of this.delivered) {
      assert.match(m.text, /^[\w-]+-s\d+#\d+$/, `a message nobody sent was delivered: ${m.text}`);
    }
    const texts = this.delivered.map((m) => m.text);
    assert.equal(new Set(texts).size, texts.length, "a message was delivered twice (or sent twice)");
    for (const f of this.failures) assert.match(f, /unavailable|no primary|deadline/i, `unclear failure: ${f}`);
    return { acked: this.acked.size, failed: this.failures.length, delivered: this.delivered.length, gapMs: this.gapMs };
  }
}
