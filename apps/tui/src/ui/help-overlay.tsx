// The `?` overlay: every binding of keymap.ts, in columns, scrollable when it does not fit.
import { Box, Text } from "ink";
import { helpColumnWidth, helpLayout } from "../format/help.js";
import { fit } from "../format/text.js";

export function HelpOverlay(props: { width: number; height: number; offset: number }) {
  const { width, height, offset } = props;
  const rows = Math.max(1, height - 1);
  const layout = helpLayout(width, rows);
  const more =
    layout.rowsTotal > rows ? ` · ↑↓ PgUp PgDn scroll (${offset + rows}/${layout.rowsTotal})` : "";
  const colWidth = Math.min(
    helpColumnWidth,
    Math.floor(width / Math.max(1, layout.columns.length))
  );
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold inverse wrap="truncate">
        {fit(`Keys — Esc or ? closes${more}`, width)}
      </Text>
      <Box flexDirection="row">
        {layout.columns.map((col, i) => (
          <Box key={i} flexDirection="column" width={colWidth}>
            {col.slice(offset, offset + rows).map((line, j) => (
              <Text key={j} wrap="truncate" bold={!line.startsWith(" ")}>
                {fit(line, colWidth - 1)}
              </Text>
            ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}
