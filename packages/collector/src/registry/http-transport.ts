/**
 * One HTTP exchange, no redirects followed (the client follows them, so that
 * it decides which headers cross origins). Two implementations:
 *
 * - `fetchTransport`: Node's global fetch (undici), for every registry that
 *   the system's CAs verify, and for plain HTTP.
 * - `nodeTransport({ca})`: node:https with the registry's own CA added to the
 *   system's. Node's fetch cannot take a CA without importing undici's Agent,
 *   and the undici bundled in Node is not importable; node:https avoids a
 *   dependency for this one case.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
import { ImagedriftError } from "@imagedrift/core";

export interface HttpRequest {
  method: "GET" | "HEAD" | "POST";
  url: string;
  headers: Readonly<Record<string, string>>;
  body?: string;
  signal: AbortSignal;
  /** A longer body is an error (`resource-exhausted`). */
  maxBodyBytes: number;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;

function tooLarge(request: HttpRequest): ImagedriftError {
  return new ImagedriftError(
    "resource-exhausted",
    `${request.method} ${new URL(request.url).host}: response body over ${request.maxBodyBytes} bytes`,
  );
}

export const fetchTransport: HttpTransport = async (request) => {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    redirect: "manual",
    signal: request.signal,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  if (response.body !== null) {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > request.maxBodyBytes) {
        await response.body.cancel().catch(() => {});
        throw tooLarge(request);
      }
      chunks.push(Buffer.from(chunk));
    }
  }
  return { status: response.status, headers: response.headers, body: Buffer.concat(chunks) };
};

/** node:http(s) with `ca` trusted besides the system's CAs; keeps connections alive like fetch does. */
export function nodeTransport(options: { ca?: string | undefined } = {}): HttpTransport {
  const https = new HttpsAgent({ keepAlive: true, ...(options.ca ? { ca: [...rootCertificates, options.ca] } : {}) });
  const http = new HttpAgent({ keepAlive: true });
  return (request) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const url = new URL(request.url);
      const send = url.protocol === "https:" ? httpsRequest : httpRequest;
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body !== undefined) headers["content-length"] = Buffer.byteLength(request.body);
      const call = send(
        url,
        { method: request.method, headers, agent: url.protocol === "https:" ? https : http, signal: request.signal },
        (res) => collect(res, request).then(resolve, reject),
      );
      call.on("error", reject);
      call.end(request.body);
    });
}

function collect(res: IncomingMessage, request: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > request.maxBodyBytes) {
        res.destroy();
        reject(tooLarge(request));
        return;
      }
      chunks.push(chunk);
    });
    res.on("error", reject);
    res.on("end", () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
      }
      resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
    });
  });
}
