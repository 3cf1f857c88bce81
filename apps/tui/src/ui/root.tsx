// The top of the component tree: reads the store, owns Ctrl+C (always active), and shows
// the login screen, the main screen, or a one-line "terminal too small" message.
import { Text } from "ink";
import { useSyncExternalStore } from "react";
import { columnsMin, rowsMin } from "../format/geometry.js";
import { usePaneKeys } from "../hooks/use-pane-keys.js";
import { connectionElapsedMs, type AppAction, type AppState } from "../state/app.js";
import { useTicker } from "../hooks/use-ticker.js";
import type { Store } from "../state/store.js";
import { LoginScreen } from "./login-screen.js";
import { MainScreen } from "./main-screen.js";

export function TooSmall(props: { columns: number; rows: number }) {
  const { columns, rows } = props;
  return (
    <Text wrap="truncate">
      {`Terminal too small (need ${columnsMin}×${rowsMin}, have ${columns}×${rows})`}
    </Text>
  );
}

export function Screen(props: { state: AppState; dispatch: (a: AppAction) => void }) {
  const { state, dispatch } = props;
  const { columns, rows } = state.size;
  usePaneKeys("global", true, dispatch);
  useTicker(state.cluster.connection.kind === "offline", dispatch);
  if (columns < columnsMin || rows < rowsMin) return <TooSmall columns={columns} rows={rows} />;
  const screen = state.screen;
  if (screen.kind === "login") {
    return (
      <LoginScreen
        login={screen.login}
        notice={screen.notice}
        cluster={state.cluster}
        elapsedMs={connectionElapsedMs(state)}
        width={columns}
        height={rows - 1}
        dispatch={dispatch}
      />
    );
  }
  return (
    <MainScreen
      main={screen.main}
      cluster={state.cluster}
      elapsedMs={connectionElapsedMs(state)}
      dispatch={dispatch}
    />
  );
}

export function Root(props: { store: Store<AppState, AppAction> }) {
  const { store } = props;
  const state = useSyncExternalStore(store.subscribe, store.getState);
  return <Screen state={state} dispatch={store.dispatch} />;
}
