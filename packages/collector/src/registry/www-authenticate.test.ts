import { describe, expect, it } from "vitest";
import { parseWwwAuthenticate } from "./www-authenticate.js";

describe("parseWwwAuthenticate", () => {
  it("reads distribution's Bearer challenge", () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull",error="insufficient_scope"',
      ),
    ).toEqual([
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/nginx:pull",
          error: "insufficient_scope",
        },
      },
    ]);
  });

  it("reads Basic, unquoted values, odd spacing and case", () => {
    expect(parseWwwAuthenticate('BASIC Realm = "my, realm" , charset=UTF-8')).toEqual([
      { scheme: "basic", params: { realm: "my, realm", charset: "UTF-8" } },
    ]);
  });

  it("reads several challenges in one header and escaped quotes", () => {
    expect(parseWwwAuthenticate('Negotiate abc==, Basic realm="a\\"b", Bearer realm="https://t/x",service=s')).toEqual([
      { scheme: "negotiate", params: {} },
      { scheme: "basic", params: { realm: 'a"b' } },
      { scheme: "bearer", params: { realm: "https://t/x", service: "s" } },
    ]);
  });

  it("survives garbage without looping", () => {
    expect(parseWwwAuthenticate("")).toEqual([]);
    expect(parseWwwAuthenticate('"" ,,, = Bearer')).toEqual([{ scheme: "bearer", params: {} }]);
    expect(parseWwwAuthenticate('Bearer realm="unterminated')).toEqual([
      { scheme: "bearer", params: { realm: "unterminated" } },
    ]);
  });
});
