// gRPC credentials of a node from its TLS files (cluster.json): the client port serves TLS,
// the replica port asks every caller for a client certificate and the transport refuses a
// call whose certificate did not verify against the cluster CA (mutual TLS), and the node
// presents its own certificate when it calls its peers. The handshake itself does not reject
// a missing certificate, so the refusal reaches the caller as a status and the log (once)
// rather than as a silent reset. Without TLS files all three are plain text and the replica
// port relies on the cluster secret alone.
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { muteIpServernameWarning } from "@chat-tui/proto";
import { assertPrivateFile, ConfigError, type NodeTls } from "../config.js";

export interface NodeCredentials {
  clientServer: grpc.ServerCredentials;
  replicaServer: grpc.ServerCredentials;
  replicaChannel: () => grpc.ChannelCredentials;
  /** True when replica calls must carry a CA-verified client certificate. */
  mutualTls: boolean;
}

/**
 * Hands fixed PEM material to grpc-js's certificate-provider credentials. The update must come
 * after `addListener` returns: grpc-js registers the server's watcher only then, and an update
 * delivered synchronously would leave the server without a secure context (it drops every
 * connection).
 */
function staticProvider(ca: Buffer, certificate: Buffer, privateKey: Buffer): grpc.experimental.CertificateProvider {
  return {
    addCaCertificateListener: (listener) => setImmediate(() => listener({ caCertificate: ca })),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (listener) => setImmediate(() => listener({ certificate, privateKey })),
    removeIdentityCertificateListener: () => undefined,
  };
}

function pem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

export function nodeCredentials(tls: NodeTls | undefined): NodeCredentials {
  if (!tls) {
    return {
      clientServer: grpc.ServerCredentials.createInsecure(),
      replicaServer: grpc.ServerCredentials.createInsecure(),
      replicaChannel: () => grpc.credentials.createInsecure(),
      mutualTls: false,
    };
  }
  assertPrivateFile(tls.key, "TLS key");
  muteIpServernameWarning();
  const key = pem(tls.key, "TLS key");
  const cert = pem(tls.cert, "TLS certificate");
  const ca = pem(tls.ca, "TLS CA");
  const pair = [{ private_key: key, cert_chain: cert }];
  return {
    clientServer: grpc.ServerCredentials.createSsl(null, pair, false),
    replicaServer: grpc.experimental.createCertificateProviderServerCredentials(
      staticProvider(ca, cert, key), staticProvider(ca, cert, key), false),
    replicaChannel: () => grpc.credentials.createSsl(ca, key, cert),
    mutualTls: true,
  };
}
