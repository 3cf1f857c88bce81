// The left pane: the filter box and the users it finds, each with an online dot and an
// unread badge; the selection and the open conversation are marked by glyphs as well as
// colour. Only the rows that fit are rendered.
import { Box, Text } from "ink";
import type { UserEntry } from "../client-port.js";
import { listWindow } from "../format/geometry.js";
import { fit, fitRight } from "../format/text.js";
import type { LineState } from "../state/line-edit.js";
import { fieldView } from "./text-field.js";

export interface UserListProps {
  users: readonly UserEntry[];
  selected: number;
  open: string | undefined;
  unread: Readonly<Record<string, number>>;
  filter: LineState;
  focused: boolean;
  filterFocused: boolean;
  width: number;
  height: number;
}

function badge(n: number): string {
  return n <= 0 ? "" : n > 99 ? " 99+" : ` ${n}`;
}

function UserRow(props: {
  user: UserEntry;
  selected: boolean;
  open: boolean;
  unread: number;
  focused: boolean;
  width: number;
}) {
  const { user, selected, open, unread, focused, width } = props;
  const b = badge(unread);
  const marker = selected ? ">" : open ? "▸" : " ";
  const name = fit(user.username, Math.max(1, width - 4 - b.length));
  return (
    <Text wrap="truncate" inverse={selected && focused}>
      <Text>{marker}</Text>
      <Text color={user.online ? "green" : undefined} dimColor={!user.online}>
        {user.online ? "●" : "○"}
      </Text>
      <Text> </Text>
      <Text bold={open || unread > 0} underline={open}>
        {name}
      </Text>
      <Text color="yellow" bold>
        {fitRight(b, b.length)}
      </Text>
      <Text> </Text>
    </Text>
  );
}

export function FilterBox(props: { filter: LineState; focused: boolean; width: number }) {
  const { filter, focused, width } = props;
  if (filter.text === "" && !focused) {
    return (
      <Text dimColor wrap="truncate">
        {fit("/ filter users", width)}
      </Text>
    );
  }
  return (
    <Text wrap="truncate" bold={focused}>
      {"/ "}
      {fieldView(filter, width - 2).text}
    </Text>
  );
}

export function UserList(props: UserListProps) {
  const { users, selected, open, unread, filter, focused, filterFocused, width, height } = props;
  const rows = Math.max(0, height - 1);
  const start = listWindow(users.length, selected, rows);
  const shown = users.slice(start, start + rows);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <FilterBox filter={filter} focused={filterFocused} width={width} />
      {shown.length === 0 ? (
        <Text dimColor wrap="truncate">
          {filter.text ? "no user matches" : "no other users yet"}
        </Text>
      ) : (
        shown.map((u, i) => (
          <UserRow
            key={u.username}
            user={u}
            selected={start + i === selected}
            open={u.username === open}
            unread={unread[u.username] ?? 0}
            focused={focused}
            width={width}
          />
        ))
      )}
    </Box>
  );
}
