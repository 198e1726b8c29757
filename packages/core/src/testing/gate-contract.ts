import { errAsync, okAsync } from "neverthrow";
import type { GateSettings } from "../model/gates.js";
import type { Gate, GateAnswer, GateFile } from "../ports/gate.js";
import { assert, assertEqual } from "./assert.js";
import { type ContractOptions, type ContractRunner, defineContract, fresh } from "./contract.js";

/** A file the suite hands the gate, and the verdict the gate must answer for it. */
export interface GateSample {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly verdict: "pass" | "review" | "fail";
}

export interface GateUnderTest<S extends GateSettings = GateSettings> {
  gate: Gate<S>;
  settings: S;
  /** One sample of each verdict the gate can answer; at least one `pass` and one that is not. */
  samples: readonly GateSample[];
  /** Whether the gate reads the bytes (one that judges sizes alone does not). */
  reads: boolean;
}

const VERDICTS = ["pass", "review", "fail"] as const;
const RANK = { pass: 0, review: 1, fail: 2 } as const;

/** The gate's input for `sample`, counting how often its bytes were opened. */
const fileOf = <S extends GateSettings>(
  sample: GateSample,
  settings: S,
  chunkSize = 4096,
): { file: GateFile<S>; opens: () => number } => {
  let opens = 0;
  const file: GateFile<S> = {
    name: sample.name,
    size: sample.bytes.length,
    settings,
    request: { files: 1, bytes: sample.bytes.length },
    signal: new AbortController().signal,
    open: () => {
      opens += 1;
      return okAsync({
        async *[Symbol.asyncIterator]() {
          for (let offset = 0; offset < sample.bytes.length; offset += chunkSize) {
            yield sample.bytes.slice(offset, offset + chunkSize);
          }
        },
      });
    },
  };
  return { file, opens: () => opens };
};

const assertShape = (answer: GateAnswer, under: GateUnderTest, sample: GateSample) => {
  assert(VERDICTS.includes(answer.verdict), `${sample.name}: the verdict is one of pass, review, fail`);
  for (const finding of answer.findings) {
    assertEqual(finding.gate, under.gate.type, `${sample.name}: a finding names its gate`);
    assertEqual(finding.file, sample.name, `${sample.name}: a finding names its file`);
    assert(finding.message.trim().length > 0, `${sample.name}: a finding says what was found`);
    assert(
      RANK[finding.verdict] <= RANK[answer.verdict],
      `${sample.name}: no finding is worse than the verdict`,
    );
  }
  if (answer.verdict !== "pass") {
    assert(
      answer.findings.some((finding) => finding.verdict === answer.verdict),
      `${sample.name}: a ${answer.verdict} verdict carries a finding that says why`,
    );
  }
};

/** The `Gate` contract (see its JSDoc). */
export function gateContract<S extends GateSettings>(
  t: ContractRunner,
  make: () => Promise<GateUnderTest<S>> | GateUnderTest<S>,
  options?: ContractOptions,
): void {
  defineContract(t, "Gate contract", options, (test) => {
    test("answers each sample's verdict, with findings that name the gate and the file", async () => {
      const under = await fresh(make);
      assert(
        under.samples.some((s) => s.verdict === "pass"),
        "the suite needs a passing sample",
      );
      assert(
        under.samples.some((s) => s.verdict !== "pass"),
        "the suite needs a sample the gate does not pass",
      );
      for (const sample of under.samples) {
        const answer = await under.gate.check(fileOf(sample, under.settings).file);
        assert(answer.isOk(), `${sample.name}: the gate answers`);
        if (answer.isErr()) return;
        assertShape(answer.value, under as GateUnderTest, sample);
        assertEqual(answer.value.verdict, sample.verdict, `${sample.name}: the verdict`);
      }
    });

    test("opens a file's bytes at most once", async () => {
      const under = await fresh(make);
      for (const sample of under.samples) {
        const { file, opens } = fileOf(sample, under.settings);
        await under.gate.check(file);
        assert(opens() <= 1, `${sample.name}: opened ${opens()} times`);
      }
    });

    test("answers the same for the same bytes, however they are chunked", async () => {
      const under = await fresh(make);
      for (const sample of under.samples) {
        const first = await under.gate.check(fileOf(sample, under.settings, 4096).file);
        const second = await under.gate.check(fileOf(sample, under.settings, 7).file);
        const settled = (answer: typeof first) => (answer.isOk() ? answer.value : answer.error);
        assertEqual(settled(second), settled(first), `${sample.name}: a second check`);
      }
    });

    test("answers an error when the bytes cannot be read, never throws", async () => {
      const under = await fresh(make);
      if (!under.reads) return;
      const [sample] = under.samples;
      if (sample === undefined) return;
      const unopenable = {
        ...fileOf(sample, under.settings).file,
        open: () => errAsync({ kind: "Unavailable" as const, message: "storage is down" }),
      };
      const refused = await under.gate.check(unopenable);
      assert(refused.isErr(), "a file that cannot be opened is an error");
      const broken = {
        ...fileOf(sample, under.settings).file,
        open: () =>
          okAsync({
            // biome-ignore lint/correctness/useYield: a stream that breaks before its first byte
            async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
              throw new Error("connection reset");
            },
          }),
      };
      const failed = await under.gate.check(broken);
      assert(failed.isErr(), "a stream that breaks is an error");
    });
  });
}
