// chat-state's validators as throwing checks for the RPC layer (apply re-checks everything).
import {
  normalizeUsername,
  validateClientMsgId,
  validatePassword,
  validateRequestId,
  validateText,
} from "@chat-tui/chat-state";

export const checked = {
  username(raw: string): string {
    const result = normalizeUsername(raw);
    if (typeof result !== "string") throw result;
    return result;
  },
  password(raw: string): string {
    const error = validatePassword(raw);
    if (error) throw error;
    return raw;
  },
  text(raw: string): string {
    const error = validateText(raw);
    if (error) throw error;
    return raw;
  },
  requestId(raw: string): string {
    const error = validateRequestId(raw);
    if (error) throw error;
    return raw;
  },
  clientMsgId(raw: string): string {
    const error = validateClientMsgId(raw);
    if (error) throw error;
    return raw;
  },
};
