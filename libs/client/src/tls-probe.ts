// Tells a TLS problem apart from a node that is down. grpc-js reports both as "failed to
// connect", so after a failed connection the client opens one raw TLS handshake to the node
// and says what it found, in one line: a plain-text client met a TLS node; a TLS client met a
// plain-text node ("wrong version number"); the node's certificate is not signed by the CA
// the client trusts, or is not for the host the client dialled. Bounded: one probe per
// address at a time, each with a timeout.
import tls from "node:tls";
import { splitHostPort } from "./cluster-list.js";

const probeTimeoutMs = 1_000;
/** OpenSSL's words for "the other side did not answer with TLS". */
const plainTextPeer = /wrong version number|packet length too long|unknown protocol|http request/i;

/** What is wrong with TLS towards `address`, or undefined if nothing is (or it is down). */
export function probeTls(address: string, ca: Buffer | undefined): Promise<string | undefined> {
  const { host, port } = splitHostPort(address);
  return new Promise((resolve) => {
    const socket = tls.connect({
      host, port, ca, rejectUnauthorized: false, ALPNProtocols: ["h2"], timeout: probeTimeoutMs,
    });
    const done = (hint: string | undefined): void => {
      socket.destroy();
      resolve(hint);
    };
    socket.once("secureConnect", () => {
      if (!ca) return done(`${address} speaks TLS: trust the cluster's CA (--tls-ca FILE or CHAT_TLS_CA)`);
      // Node checks the host as part of authorization (ERR_TLS_CERT_ALTNAME_INVALID).
      const mismatch = tls.checkServerIdentity(host, socket.getPeerCertificate());
      if (mismatch) return done(`${address}: its certificate is not for host ${host} (${mismatch.message})`);
      if (!socket.authorized) {
        return done(`${address}: its certificate is not signed by the given CA (${String(socket.authorizationError)})`);
      }
      done(undefined);
    });
    socket.once("error", (err) => done(ca && plainTextPeer.test(err.message)
      ? `${address} does not speak TLS (plain text): connect without a TLS CA` : undefined));
    socket.once("timeout", () => done(undefined));
  });
}
