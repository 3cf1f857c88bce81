// Imported first by the CLI (cli.ts), for its side effect: every chat-cluster process keeps
// V8's young generation at its initial size (1 MiB semi-spaces) instead of letting it grow to
// 16 MiB. Nearly everything a send allocates on a node survives (the message, its dedup
// entries, its log entry until compaction), and a scavenge pauses the node for as long as
// copying what survived since the last one takes: with grown semi-spaces that was 10–40 ms
// per pause on every node, and since a send waits for the primary and both backups, each
// pause landed in the latency tail. Small semi-spaces make the pauses frequent and short;
// the copying work stays about the same.
//
// `--max-semi-space-size` works only on the command line (the heap is sized at start), and a
// node may be started by hand (`chat-cluster node`). So the growth is stopped instead: V8
// reads the growth factor each time it would grow the new space, which has not grown yet
// while this module runs first. young-generation.test.ts checks both for the Node.js in use.
import v8 from "node:v8";

v8.setFlagsFromString("--semi-space-growth-factor=1");
