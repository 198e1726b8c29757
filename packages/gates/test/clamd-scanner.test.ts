import { createServer, type Server, type Socket } from "node:net";
import { crc32, deflateRawSync } from "node:zlib";
import { createMemoryStorage } from "@airlock/adapters-memory";
import type { AirlockStorage, ContainerRef, Stage, StoredFile } from "@airlock/core";
import { EICAR, malwareScannerContract } from "@airlock/core/testing";
import { startTestClamd, type TestClamd } from "@airlock/gates/testing";
import { errAsync, okAsync } from "neverthrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClamdScanner, parseClamdAddress, TOO_LARGE_DETAIL } from "../src/index.js";

const STAGE: Stage = "in_progress";
const MiB = 1024 * 1024;
const text = (value: string) => new TextEncoder().encode(value);

/** A real zip archive of deflated entries, built as the format describes (CRCs included). */
const zipOf = (entries: Record<string, Uint8Array>): Uint8Array => {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const data = deflateRawSync(content);
    const nameBytes = Buffer.from(name);
    const crc = crc32(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralBytes, end]);
};

/** Bytes that look like a binary file: every byte value, over and over. */
const binary = (size: number) => Uint8Array.from({ length: size }, (_, index) => (index * 7919) % 256);

async function* streamOf(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** A container in a fresh memory storage holding `files`. */
const containerWith = async (files: Record<string, Uint8Array>) => {
  const storage = createMemoryStorage();
  const ref: ContainerRef = { requestId: crypto.randomUUID(), workspaceId: "ws", type: "export" };
  (await storage.provision(ref, STAGE))._unsafeUnwrap();
  for (const [name, bytes] of Object.entries(files)) {
    (await storage.upload(ref, STAGE, name, streamOf(bytes), { maxBytes: 64 * MiB }))._unsafeUnwrap();
  }
  return { storage, ref };
};

/**
 * A storage of one file whose bytes are made as they are read (never held whole), counting what was
 * read; `failAfter` makes the read break after that many bytes.
 */
const generatedStorage = (name: string, size: number, failAfter?: number) => {
  let read = 0;
  const storage: Pick<AirlockStorage, "listFiles" | "openRead"> = {
    listFiles: () => okAsync<readonly StoredFile[]>([{ name, size }]),
    openRead: () =>
      okAsync(
        (async function* () {
          const chunk = binary(MiB);
          for (let sent = 0; sent < size; sent += chunk.length) {
            if (failAfter !== undefined && sent >= failAfter) throw new Error("the disk went away");
            const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
            read += piece.length;
            yield piece;
          }
        })(),
      ),
  };
  return { storage, read: () => read };
};

const REF: ContainerRef = { requestId: "r1", workspaceId: "ws", type: "export" };

/** A fake clamd on a free port that does what `onConnection` says with each connection. */
const fakeClamd = async (onConnection: (socket: Socket) => void) => {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    url: `tcp://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};

let clamd: TestClamd;
/** A clamd that takes streams of at most 1 MiB. */
let smallClamd: TestClamd;

beforeAll(async () => {
  [clamd, smallClamd] = await Promise.all([startTestClamd(), startTestClamd({ streamMaxBytes: MiB })]);
}, 120_000);

afterAll(async () => {
  await Promise.all([clamd?.stop(), smallClamd?.stop()]);
});

describe("the clamd scanner against a real clamd", () => {
  malwareScannerContract({ describe, it }, () => {
    const storage = createMemoryStorage();
    return { scanner: createClamdScanner({ storage, address: clamd.url }), storage, asynchronous: false };
  });

  it("finds the EICAR test file and names the file and the signature", async () => {
    const { storage, ref } = await containerWith({ "tool.com": text(EICAR) });
    const outcome = await createClamdScanner({ storage, address: clamd.url }).scan(ref, STAGE);
    expect(outcome._unsafeUnwrap()).toEqual({
      verdict: "threat",
      file: "tool.com",
      detail: "Airlock.Test.EICAR.UNOFFICIAL",
    });
  });

  it("talks to clamd over its unix socket too", async () => {
    const { storage, ref } = await containerWith({ "tool.com": text(EICAR), "notes.txt": text("plain") });
    const scanner = createClamdScanner({ storage, address: clamd.socketUrl });
    expect((await scanner.scan(ref, STAGE))._unsafeUnwrap()).toMatchObject({
      verdict: "threat",
      file: "tool.com",
    });
    expect((await scanner.version())._unsafeUnwrap()).toMatch(/^ClamAV \d+\.\d+/);
  });

  it("finds the EICAR test file inside a zip, and inside a zip inside a zip", async () => {
    const inner = zipOf({ "readme.txt": text("hello"), "payload/eicar.com": text(EICAR) });
    const { storage, ref } = await containerWith({
      "results.zip": inner,
      "nested.zip": zipOf({ "inner.zip": inner }),
    });
    const scanner = createClamdScanner({ storage, address: clamd.url });
    expect((await scanner.scan(ref, STAGE))._unsafeUnwrap()).toMatchObject({
      verdict: "threat",
      file: "nested.zip",
      detail: "Airlock.Test.EICAR.UNOFFICIAL",
    });
    const nestedOnly = await containerWith({ "nested.zip": zipOf({ "inner.zip": inner }) });
    const nested = createClamdScanner({ storage: nestedOnly.storage, address: clamd.url });
    expect((await nested.scan(nestedOnly.ref, STAGE))._unsafeUnwrap()).toMatchObject({ verdict: "threat" });
  });

  it("answers clean for text, binary data and an archive of clean files", async () => {
    const { storage, ref } = await containerWith({
      "cohort.csv": text("id,age\n1,42\n2,37\n"),
      "model.bin": binary(3 * 65_536 + 17),
      "tables.zip": zipOf({ "a.csv": text("x,y\n1,2\n"), "b.bin": binary(10_000) }),
      "empty.txt": new Uint8Array(0),
    });
    expect(
      (await createClamdScanner({ storage, address: clamd.url }).scan(ref, STAGE))._unsafeUnwrap(),
    ).toEqual({
      verdict: "clean",
    });
  });

  it("names the one infected file among clean ones", async () => {
    const { storage, ref } = await containerWith({
      "a-readme.txt": text("nothing to see"),
      "b-data.csv": text("x,y\n"),
      "c-tool.exe": text(`MZ padding ${EICAR}`),
      "d-more.csv": text("z\n"),
    });
    const outcome = (
      await createClamdScanner({ storage, address: clamd.url }).scan(ref, STAGE)
    )._unsafeUnwrap();
    expect(outcome).toMatchObject({ verdict: "threat", file: "c-tool.exe" });
  });

  it("streams a 256 MiB clean file made as it is read, within clamd's stream limit", async () => {
    const size = 256 * MiB;
    const { storage, read } = generatedStorage("large.bin", size);
    const outcome = await createClamdScanner({ storage, address: clamd.url }).scan(REF, STAGE);
    expect(outcome._unsafeUnwrap()).toEqual({ verdict: "clean" });
    expect(read()).toBe(size);
  }, 120_000);

  it("never answers clean for a file over clamd's stream limit, and stops reading it", async () => {
    const size = 64 * MiB;
    const { storage, read } = generatedStorage("huge.bin", size);
    const outcome = await createClamdScanner({ storage, address: smallClamd.url }).scan(REF, STAGE);
    // clamd answers its limit and resets the connection: the answer is read first, or the reset.
    if (outcome.isOk()) {
      expect(outcome.value).toEqual({ verdict: "threat", file: "huge.bin", detail: TOO_LARGE_DETAIL });
    } else {
      expect(outcome.error).toMatchObject({
        kind: "Unavailable",
        message: expect.stringMatching(/huge\.bin/),
      });
    }
    expect(read()).toBeLessThan(size);
  }, 60_000);

  it("blocks a file clamd would only partly scan (over its MaxFileSize, with AlertExceedsMax)", async () => {
    const partial = await startTestClamd({ streamMaxBytes: 8 * MiB, maxFileBytes: MiB });
    try {
      const { storage } = generatedStorage("long.bin", 2 * MiB);
      const outcome = await createClamdScanner({ storage, address: partial.url }).scan(REF, STAGE);
      expect(outcome._unsafeUnwrap()).toEqual({
        verdict: "threat",
        file: "long.bin",
        detail: expect.stringMatching(/^Heuristics\.Limits\.Exceeded\.MaxFileSize/),
      });
    } finally {
      await partial.stop();
    }
  }, 60_000);

  it("blocks a file over the configured stream limit as unscanned, without sending it", async () => {
    const { storage, read } = generatedStorage("huge.bin", 2 * MiB);
    const scanner = createClamdScanner({ storage, address: smallClamd.url, streamMaxBytes: MiB });
    expect((await scanner.scan(REF, STAGE))._unsafeUnwrap()).toEqual({
      verdict: "threat",
      file: "huge.bin",
      detail: TOO_LARGE_DETAIL,
    });
    expect(read()).toBe(0);
    const { storage: fits } = generatedStorage("fits.bin", MiB);
    const exact = createClamdScanner({ storage: fits, address: smallClamd.url, streamMaxBytes: MiB });
    expect((await exact.scan(REF, STAGE))._unsafeUnwrap()).toEqual({ verdict: "clean" });
  });
});

describe("the clamd scanner when clamd cannot answer", () => {
  it("answers Unavailable when clamd is stopped", async () => {
    const stopped = await startTestClamd();
    await stopped.stop();
    const { storage, ref } = await containerWith({ "notes.txt": text("plain") });
    const scanner = createClamdScanner({ storage, address: stopped.url });
    expect((await scanner.scan(ref, STAGE))._unsafeUnwrapErr()).toMatchObject({
      kind: "Unavailable",
      message: expect.stringMatching(/clamd could not scan notes\.txt: clamd cannot be reached/),
    });
    const overSocket = createClamdScanner({ storage, address: stopped.socketUrl });
    expect((await overSocket.scan(ref, STAGE))._unsafeUnwrapErr().kind).toBe("Unavailable");
    expect((await scanner.version())._unsafeUnwrapErr().kind).toBe("Unavailable");
  });

  it("answers Unavailable when clamd closes the connection in the middle of the stream", async () => {
    const fake = await fakeClamd((socket) => {
      let received = 0;
      socket.on("data", (data) => {
        received += data.length;
        if (received > 2 * MiB) socket.destroy();
      });
    });
    const { storage, read } = generatedStorage("data.bin", 32 * MiB);
    const outcome = await createClamdScanner({ storage, address: fake.url }).scan(REF, STAGE);
    await fake.close();
    expect(outcome._unsafeUnwrapErr()).toMatchObject({
      kind: "Unavailable",
      message: expect.stringMatching(/^clamd could not scan data\.bin: /),
    });
    expect(read()).toBeLessThan(32 * MiB);
  });

  it("answers Unavailable when clamd stops reading and stays silent", async () => {
    const fake = await fakeClamd((socket) => socket.pause());
    const { storage } = generatedStorage("data.bin", 32 * MiB);
    const scanner = createClamdScanner({ storage, address: fake.url, idleTimeoutMs: 300 });
    const outcome = await scanner.scan(REF, STAGE);
    await fake.close();
    expect(outcome._unsafeUnwrapErr()).toMatchObject({
      kind: "Unavailable",
      message: expect.stringMatching(/silent for 300 ms/),
    });
  });

  it("answers Unavailable, never clean, when clamd answers an error", async () => {
    const fake = await fakeClamd((socket) => {
      socket.once("data", () => socket.end("Can't allocate memory ERROR\0"));
    });
    const { storage, ref } = await containerWith({ "notes.txt": text("plain") });
    const outcome = await createClamdScanner({ storage, address: fake.url }).scan(ref, STAGE);
    await fake.close();
    expect(outcome._unsafeUnwrapErr()).toMatchObject({
      kind: "Unavailable",
      message: 'clamd could not scan notes.txt: it answered "Can\'t allocate memory ERROR"',
    });
  });

  it("answers Unavailable, never clean, when an OK comes before the whole file was sent", async () => {
    const fake = await fakeClamd((socket) => {
      socket.once("data", () => socket.end("stream: OK\0"));
    });
    const { storage } = generatedStorage("data.bin", 8 * MiB);
    const outcome = await createClamdScanner({ storage, address: fake.url }).scan(REF, STAGE);
    await fake.close();
    expect(outcome._unsafeUnwrapErr()).toMatchObject({
      kind: "Unavailable",
      message: "clamd could not scan data.bin: it answered OK before the whole file was sent",
    });
  });

  it("releases a read that stalls once clamd has answered", async () => {
    const fake = await fakeClamd((socket) => {
      socket.once("data", () => socket.end("INSTREAM size limit exceeded. ERROR\0"));
    });
    let released = false;
    let reads = 0;
    const stalling: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          reads += 1;
          // The first chunk, then a read that never ends (a storage that hangs).
          return reads === 1 ? Promise.resolve({ done: false, value: binary(1024) }) : new Promise(() => {});
        },
        return: () => {
          released = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const scanner = createClamdScanner({
      storage: {
        listFiles: () => okAsync<readonly StoredFile[]>([{ name: "stuck.bin", size: 10 * MiB }]),
        openRead: () => okAsync(stalling),
      },
      address: fake.url,
    });
    const outcome = await scanner.scan(REF, STAGE);
    await fake.close();
    expect(outcome._unsafeUnwrap()).toEqual({
      verdict: "threat",
      file: "stuck.bin",
      detail: TOO_LARGE_DETAIL,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(true);
  });

  it("answers Unavailable when the file cannot be read, or listed", async () => {
    const { storage } = generatedStorage("data.bin", 8 * MiB, 2 * MiB);
    const broken = await createClamdScanner({ storage, address: clamd.url }).scan(REF, STAGE);
    expect(broken._unsafeUnwrapErr()).toMatchObject({
      kind: "Unavailable",
      message: expect.stringMatching(/reading the file failed: the disk went away/),
    });
    const unlisted = createClamdScanner({
      storage: {
        listFiles: () => errAsync({ kind: "Unavailable", message: "storage down" }),
        openRead: () => errAsync({ kind: "Unavailable", message: "storage down" }),
      },
      address: clamd.url,
    });
    expect((await unlisted.scan(REF, STAGE))._unsafeUnwrapErr().kind).toBe("Unavailable");
  });
});

describe("the test clamd", () => {
  it("fails, saying how to install clamd, when it is missing: the ClamAV tests never skip silently", async () => {
    const before = process.env.AIRLOCK_CLAMD_BIN;
    process.env.AIRLOCK_CLAMD_BIN = "/nonexistent/clamd";
    try {
      await expect(startTestClamd()).rejects.toThrow(
        /clamd is not installed at \/nonexistent\/clamd: install .*apt-get install clamav clamav-daemon/,
      );
    } finally {
      if (before === undefined) delete process.env.AIRLOCK_CLAMD_BIN;
      else process.env.AIRLOCK_CLAMD_BIN = before;
    }
  });
});

describe("clamd addresses", () => {
  it("reads tcp and unix addresses", () => {
    expect(parseClamdAddress("tcp://127.0.0.1:3310")._unsafeUnwrap()).toEqual({
      kind: "tcp",
      host: "127.0.0.1",
      port: 3310,
    });
    expect(parseClamdAddress("tcp://[::1]:3310")._unsafeUnwrap()).toEqual({
      kind: "tcp",
      host: "::1",
      port: 3310,
    });
    expect(parseClamdAddress("unix:/run/clamav/clamd.ctl")._unsafeUnwrap()).toEqual({
      kind: "unix",
      path: "/run/clamav/clamd.ctl",
    });
    expect(parseClamdAddress("unix:///run/clamav/clamd.ctl")._unsafeUnwrap()).toEqual({
      kind: "unix",
      path: "/run/clamav/clamd.ctl",
    });
  });

  it("refuses what is not one, saying which forms work", () => {
    for (const bad of [
      "http://clamd:3310",
      "tcp://clamd",
      "unix:clamd.sock",
      "clamd:3310",
      "tcp://h:1/path",
      "",
    ]) {
      expect(parseClamdAddress(bad)._unsafeUnwrapErr()).toMatch(/tcp:\/\/host:port or unix:\/path/);
    }
  });
});
