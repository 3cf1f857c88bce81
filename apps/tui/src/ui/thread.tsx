// The right pane: the open conversation's title and only the display lines that fit (see
// format/thread-layout.ts), plus the "new messages below" marker when the reader is
// scrolled up. Pure rendering: scrolling and marking read are decided in the reducers.
import { Box, Text } from "ink";
import { fit, rule } from "../format/text.js";
import { layoutViewport, threadSource, type ThreadLine } from "../format/thread-layout.js";
import type { Conversation, Outgoing } from "../state/conversations.js";

export interface ThreadProps {
  me: string;
  conversation: Conversation | undefined;
  outbox: readonly Outgoing[];
  online: boolean | undefined;
  focused: boolean;
  width: number;
  height: number;
  /** Shown when no conversation is open. */
  welcome: readonly string[];
}

function Line(props: { line: ThreadLine; width: number }) {
  const { line, width } = props;
  switch (line.kind) {
    case "rule":
      return (
        <Text
          wrap="truncate"
          dimColor={line.tone === "day"}
          color={line.tone === "new" ? "red" : undefined}
        >
          {line.text}
        </Text>
      );
    case "note":
      return (
        <Text wrap="truncate" color="red">
          {fit(line.text, width)}
        </Text>
      );
    case "text":
      return (
        <Text wrap="truncate">
          <Text dimColor>{line.time.padEnd(5)} </Text>
          <Text bold color={line.own ? "cyan" : "magenta"}>
            {line.nick}
          </Text>
          <Text
            color={line.mark === "!" ? "red" : line.mark === "…" ? "yellow" : undefined}
            dimColor={line.mark === "│"}
          >
            {` ${line.mark} `}
          </Text>
          <Text>{line.body}</Text>
        </Text>
      );
  }
}

function Title(props: {
  peer: string | undefined;
  online: boolean | undefined;
  focused: boolean;
  width: number;
  extra: string;
}) {
  const { peer, online, focused, width, extra } = props;
  const state = online === undefined ? "" : online ? " · online" : " · offline";
  const text = peer ? `${peer}${state}${extra}` : "chat-tui";
  return (
    <Text bold={focused} underline={focused} wrap="truncate">
      {fit(text, width)}
    </Text>
  );
}

export function Thread(props: ThreadProps) {
  const { me, conversation: c, outbox, online, focused, width, height, welcome } = props;
  const rows = Math.max(0, height - 1);
  if (c === undefined) {
    return (
      <Box flexDirection="column" width={width} height={height} overflow="hidden">
        <Title peer={undefined} online={undefined} focused={focused} width={width} extra="" />
        {welcome.slice(0, rows).map((w, i) => (
          <Text key={i} wrap="truncate" dimColor={i > 0}>
            {w}
          </Text>
        ))}
      </Box>
    );
  }
  const src = threadSource(c.messages, outbox);
  const ctx = { width, me, peer: c.peer, markerSeq: c.markerSeq };
  const view = layoutViewport(src, c.scroll, rows, ctx);
  const lines: ThreadLine[] = [...view.lines];
  if (!view.atBottom && c.newBelow > 0 && lines.length > 0) {
    const n = c.newBelow;
    lines[lines.length - 1] = {
      kind: "rule",
      text: rule(`${n} new message${n === 1 ? "" : "s"} below — End`, width),
      tone: "new",
    };
  }
  const extra =
    c.history === "loading" || c.loadingOlder
      ? " · loading…"
      : view.atBottom
      ? ""
      : " · scrolled up";
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Title peer={c.peer} online={online} focused={focused} width={width} extra={extra} />
      {src.count === 0 ? (
        <Text dimColor wrap="truncate">
          {c.history === "loading" ? "loading…" : "no messages yet — say hello"}
        </Text>
      ) : (
        lines.map((line, i) => <Line key={i} line={line} width={width} />)
      )}
    </Box>
  );
}
