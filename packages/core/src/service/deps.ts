import type { AirlockRequest } from "../model/request.js";
import type { Announcements } from "./announcements.js";
import type { BytesInFlight } from "./in-flight.js";
import type { ResolvedOptions } from "./options.js";
import type { RequestWriter } from "./request-writer.js";
import type { AirlockPorts } from "./types.js";

/** What every use case works with. */
export interface UseCaseDeps {
  readonly ports: AirlockPorts;
  readonly options: ResolvedOptions;
  readonly writer: RequestWriter;
  readonly announcements: Announcements;
  /** Hands a request with work left over to the processor when processing runs inline; else nothing. */
  readonly scheduleProcessing: (request: AirlockRequest) => void;
  /** Uploads under way per workspace, against the policy's `maxBytesInFlight`. */
  readonly bytesInFlight: BytesInFlight;
  /** Runs one creation per person and workspace at a time, so the open-drafts count holds. */
  readonly oneCreationAtATime: <T>(key: string, work: () => Promise<T>) => Promise<T>;
}
