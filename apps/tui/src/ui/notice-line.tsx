// The rule between the panes and the composer; it carries the latest notice ("5 unread from
// bob, 2 from carol", "send failed …"), marked "!" when it is an error.
import { Text } from "ink";
import { rule } from "../format/text.js";
import type { Notice } from "../state/main.js";

export function NoticeLine(props: { notice: Notice | undefined; width: number }) {
  const { notice, width } = props;
  if (!notice) return <Text dimColor>{rule("", width)}</Text>;
  const error = notice.tone === "error";
  return (
    <Text color={error ? "red" : "yellow"} bold wrap="truncate">
      {rule(error ? `! ${notice.text}` : notice.text, width)}
    </Text>
  );
}
