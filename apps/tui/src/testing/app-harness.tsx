// Runs the whole app (store, effect runner, Root) over a FakeChat inside ink-testing-library,
// at a chosen terminal size, with helpers to log in and reach a given state.
import { wireApp } from "../app.js";
import { Root } from "../ui/root.js";
import { FakeChat } from "./fake-client.js";
import { keys, renderTui, type Rendered } from "./render.js";

export interface Harness extends Rendered {
  chat: FakeChat;
  quits: number;
  resize(columns: number, rows: number): void;
  login(username: string, password?: string, mode?: "login" | "register"): Promise<void>;
  dispose(): void;
}

/** The test clock: every harness starts on Tue 24 Nov 2026, 09:30 UTC. */
export const clock = { ms: Date.UTC(2026, 10, 24, 9, 30) };

export function seedChat(): FakeChat {
  clock.ms = Date.UTC(2026, 10, 24, 9, 30);
  const chat = new FakeChat({ now: () => clock.ms });
  for (const name of ["alice", "anna", "albert", "bob", "carol"]) chat.addUser(name);
  return chat;
}

export function startHarness(chat: FakeChat, columns = 80, rows = 24): Harness {
  const client = chat.connect();
  const h = { quits: 0 } as Harness;
  let id = 0;
  const env = () => ({ nowMs: chat.now(), newId: () => `id-${++id}` });
  const app = wireApp(client, { columns, rows }, { onQuit: () => (h.quits += 1) }, env);
  const r = renderTui(<Root store={app.store} />);
  return Object.assign(h, r, {
    chat,
    resize: (c: number, rr: number) =>
      app.store.dispatch({ type: "resized", columns: c, rows: rr }),
    async login(username: string, password = "password1", mode: "login" | "register" = "login") {
      await r.write(username, keys.tab, password);
      if (mode === "register") await r.write(keys.ctrl("t"));
      await r.write(keys.enter);
      await r.waitFor((f) => f.includes("/ filter users") || f.includes("/ "));
    },
    dispose() {
      r.unmount();
      app.dispose();
      client.close();
    },
  });
}
